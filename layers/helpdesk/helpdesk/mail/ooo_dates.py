"""The return date an absence notice states, in the notice's own language, as a short note for staff.

"Ich bin bis einschließlich 11.12.2026 nicht im Büro" becomes "out of office until 11 Dec";
"back on Monday, January 4th" becomes "out of office, back 4 Jan". Numeric dates such as 12/08
are read the way that lands soonest after the message was sent (US and European orders differ).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

_MONTHS = {
    1: "january jan januar jänner janvier enero gennaio janeiro januari tammikuu tammikuuta stycznia styczeń января "
       "ledna január ocak",
    2: "february feb februar février febrero febbraio fevereiro februari helmikuu helmikuuta lutego luty февраля "
       "února február şubat",
    3: "march mar märz mars marzo março maart marts maaliskuu maaliskuuta marca marzec марта března március mart",
    4: "april apr avril abril aprile huhtikuu huhtikuuta kwietnia kwiecień апреля dubna április nisan",
    5: "may mai mayo maggio maio mei maj toukokuu toukokuuta maja maj мая května május mayıs",
    6: "june jun juni juin junio giugno junho kesäkuu kesäkuuta czerwca czerwiec июня června június haziran",
    7: "july jul juli juillet julio luglio julho heinäkuu heinäkuuta lipca lipiec июля července július temmuz",
    8: "august aug août agosto augustus augusti elokuu elokuuta sierpnia sierpień августа srpna augusztus ağustos",
    9: "september sep sept septembre septiembre setiembre settembre setembro syyskuu syyskuuta września wrzesień "
       "сентября září szeptember eylül",
    10: "october oct oktober okt octobre octubre ottobre outubro lokakuu lokakuuta października październik октября "
        "října október ekim",
    11: "november nov novembre noviembre novembro marraskuu marraskuuta listopada listopad ноября listopadu kasım",
    12: "december dec dezember dez décembre diciembre dicembre dezembro desember joulukuu joulukuuta grudnia grudzień "
        "декабря prosince aralık",
}
MONTH_BY_NAME = {name: number for number, names in _MONTHS.items() for name in names.split()}
_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_WEEKDAYS = {
    "Monday": "monday montag lundi lunes lunedì segunda maandag måndag mandag maanantai poniedziałek понедельник "
              "pondělí",
    "Tuesday": "tuesday dienstag mardi martes martedì terça dinsdag tisdag tirsdag tiistai wtorek вторник "
               "úterý",
    "Wednesday": "wednesday mittwoch mercredi miércoles mercoledì quarta woensdag onsdag keskiviikko środa среда "
                 "středa",
    "Thursday": "thursday donnerstag jeudi jueves giovedì quinta donderdag torsdag torstai czwartek четверг čtvrtek",
    "Friday": "friday freitag vendredi viernes venerdì sexta vrijdag fredag perjantai piątek пятница pátek",
}
WEEKDAY_BY_NAME = {name: day for day, names in _WEEKDAYS.items() for name in names.split()}
_NAME = "|".join(sorted(map(re.escape, MONTH_BY_NAME), key=len, reverse=True))
_PATTERNS = [
    ("ymd", re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")),
    ("cjk", re.compile(r"(?:(\d{4})\s*[年년]\s*)?(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]")),
    ("dot", re.compile(r"\b(\d{1,2})\.\s?(\d{1,2})\.(?:\s?(\d{4}|\d{2})\b)?")),
    ("slash", re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?\b")),
    ("day_name", re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th|er|º|°|\.)?\s*(?:de |of )?({_NAME})\b\.?(?:,?\s*(?:de )?"
                            rf"(\d{{4}}))?")),
    ("name_day", re.compile(rf"\b({_NAME})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(\d{{4}}))?")),
]
_BACK = re.compile(r"(?:back|return|zurück|wieder|retour|regres|vuelt|rientr|ritorno|tornerò|retorn|voltarei|terug|"
                   r"tilbage|tilbake|tillbaka|åter|palaan|wracam|powr|вернусь|vrátím|zpět|döndü|dönece|visszaté|"
                   r"복귀|以降|返回|回来|回來|戻り)", re.I)
_UNTIL = re.compile(r"(?:until|till|through|thru|bis|jusqu|hasta|fino|até|tot|t/m|indtil|\btil\b|t\.o\.m|\bdo\b|"
                    r"\bдо\b|直到|\bau\b|\bal\b|\bto\b)", re.I)
_BACK_AFTER = re.compile(r"^\s*(?:에|に|より|から)?\s*(?:복귀|돌아|戻|返回|回来|回來|回到|以降)")
_UNTIL_AFTER = re.compile(r"^\s*(?:tarihine\s+|tarihe\s+)?(?:まで|까지|asti|kadar|-ig|为止|為止)")  # postpositions
_WEEKDAY_BACK = re.compile(r"(?:back|return|zurück|retour|tilbage|tillbaka|terug)\D{0,25}?\b(" +
                           "|".join(WEEKDAY_BY_NAME) + r")\b", re.I)


@dataclass(frozen=True)
class _Found:
    day: date
    start: int
    end: int


def return_note(text: str, sent: datetime | None) -> str:
    """'out of office until 8 Dec', 'out of office, back 4 Jan', or 'out of office' when no date is stated."""
    anchor = (sent or datetime.now()).date()
    found = _dates(text[:3000], anchor)
    chosen = _choose(text, found)
    if chosen is not None:
        found_date, word = chosen
        label = f"{found_date.day} {_ABBR[found_date.month - 1]}"
        return f"out of office, back {label}" if word == "back" else f"out of office until {label}"
    weekday = _WEEKDAY_BACK.search(text[:1500])
    if weekday:
        return f"out of office, back {WEEKDAY_BY_NAME[weekday.group(1).lower()]}"
    return "out of office"


def has_return_date(text: str, sent: datetime | None) -> bool:
    anchor = (sent or datetime.now()).date()
    return _choose(text, _dates(text[:3000], anchor)) is not None


def _choose(text: str, found: list[_Found]) -> tuple[date, str] | None:
    if not found:
        return None
    for item in found:
        if _BACK.search(text[max(0, item.start - 40) : item.start]) or _BACK_AFTER.match(text[item.end : item.end + 8]):
            return item.day, "back"
    for item in found:
        before, after = text[max(0, item.start - 30) : item.start], text[item.end : item.end + 20]
        if _UNTIL.search(before) or _UNTIL_AFTER.match(after):
            return item.day, "until"
    return (found[-1].day, "until") if len(found) > 1 else None


def _dates(text: str, anchor: date) -> list[_Found]:
    found: list[_Found] = []
    taken: list[range] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() in span for span in taken):
                continue
            day = _interpret(kind, match.groups(), anchor)
            if day is not None:
                found.append(_Found(day, match.start(), match.end()))
                taken.append(range(match.start(), match.end()))
    return sorted(found, key=lambda f: f.start)


def _interpret(kind: str, groups: tuple[str | None, ...], anchor: date) -> date | None:
    if kind == "ymd":
        return _plausible(_make(int(groups[0] or 0), int(groups[1] or 0), int(groups[2] or 0)), anchor)
    if kind == "cjk":
        return _nearest([(_year(groups[0]), int(groups[1] or 0), int(groups[2] or 0))], anchor)
    if kind == "day_name":
        return _nearest([(_year(groups[2]), MONTH_BY_NAME[(groups[1] or "").lower()], int(groups[0] or 0))], anchor)
    if kind == "name_day":
        return _nearest([(_year(groups[2]), MONTH_BY_NAME[(groups[0] or "").lower()], int(groups[1] or 0))], anchor)
    first, second, year = int(groups[0] or 0), int(groups[1] or 0), _year(groups[2])
    readings = [(year, second, first)]  # day first, as most of the world writes it
    if kind == "slash":
        readings.append((year, first, second))
    return _nearest(readings, anchor)


def _year(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text)
    return value + 2000 if value < 100 else value


def _nearest(readings: list[tuple[int | None, int, int]], anchor: date) -> date | None:
    """The reading that falls soonest on or after the day before the message was sent."""
    candidates = []
    for year, month, day in readings:
        years = [year] if year else [anchor.year, anchor.year + 1]
        for chosen_year in years:
            made = _plausible(_make(chosen_year, month, day), anchor)
            if made is not None:
                candidates.append(made)
    return min(candidates, default=None)


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _plausible(day: date | None, anchor: date) -> date | None:
    if day is None or not anchor - timedelta(days=1) <= day <= anchor + timedelta(days=370):
        return None
    return day
