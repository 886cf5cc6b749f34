"""Language tables that recognise the lines mail clients put around quoted history.

Every pattern is anchored and uses bounded repetition, so each line is matched in time linear in its length.
Callers only pass lines of at most MAX_MARKER_LINE characters.
"""

from __future__ import annotations

import re

MAX_MARKER_LINE = 400

QUOTE = re.compile(r"[ \t]*>")

# Verbs that close an attribution ("On <date>, <name> wrote:"), by client language.
_VERBS = (
    r"wrote|writes|schrieb|schreibt|schreef|a\s+écrit|a\s+ecrit|escribió|escribio|ha\s+escrito|escreveu|"
    r"ha\s+scritto|scrisse|skrev|skriver|kirjoitti|napisał\(a\)|napisała?|napsal\(a\)|napsala?|napísal\(a\)|"
    r"napisao|написал\(а\)|написала?|пишет|ezt\s+írta|a\s+következőt\s+írta|írta|şunu\s+yazdı|yazdı|"
    r"a\s+scris|έγραψε|a\s+escrit|va\s+escriure|rakstīja|parašė|kirjutas|het\s+volgende\s+geschreven|"
    r"geschreven|đã\s+viết|menulis|написав|написала|je\s+napisao|je\s+napisala|написа|كتب|כתב|כתבה"
)
_CJK_VERBS = r"写道|寫道|님이\s*작성|さんは書きました|が書きました|のメッセージ"
# "..., Name wrote:" / "Name <a@b> schrieb am <date>:" / Zoho "---- On ... wrote ----".
ATTRIBUTION_VERB = re.compile(
    rf"(?:(?<!\w)(?:{_VERBS})(?!\w)|{_CJK_VERBS})[^\n]{{0,160}}?[:：]?\s*(?:-{{2,}}\s*)?$", re.IGNORECASE
)
# Last words of those verbs, so a line can be ruled out without running a regular expression over it.
VERB_LAST_WORDS = frozenset(
    "wrote writes schrieb schreibt schreef écrit ecrit escribió escribio escrito escreveu scritto scrisse skrev "
    "skriver kirjoitti napisał(a) napisał napisała napsal(a) napsal napsala napísal(a) napisao написал(а) написал "
    "написала пишет írta yazdı scris έγραψε escrit escriure rakstīja parašė kirjutas geschreven viết menulis "
    "작성 написав je napisao napisala كتب כתב כתבה".split()
)
# "I wrote:" in a sentence is the customer's story, not a client's attribution ("Ben" is a name, so not Turkish).
FIRST_PERSON = frozenset(
    "i we ich wir je nous yo nosotros io noi eu nós ik wij jeg vi jag minä me ja my я мы biz".split()
)
CJK_VERB_ENDINGS = ("写道", "寫道", "작성", "書きました", "のメッセージ")
VERB_AT_END = re.compile(rf"(?:(?<!\w)(?:{_VERBS})|{_CJK_VERBS})\s*[:：]?\s*(?:-{{2,}}\s*)?$", re.IGNORECASE)
# Verb-less attributions end with the sender's address: "2017-11-24 16:32 GMT+01:00 Name <a@b>:".
ADDRESS_AT_END = re.compile(r"[>)\]]\s*[:：]\s*$")
# Zoho and some webmails wrap the whole attribution in dashes: "---- On <date> Bob wrote ----".
DASHED = re.compile(r"[ \t]*-{2,}[^\n]{3,300}-{2,}[ \t]*$")
DIGIT = re.compile(r"\d")
# Words that open an attribution, or a date that does.
_OPENERS = (
    r"on|am|le|el|il|in\s+data|op|den|em|w\s+dniu|dnia|dne|dňa|в|på|el\s+día|il\s+giorno|da|de|"
    r"mon|tue|wed|thu|fri|sat|sun|"
    r"lun|mar|mer|jeu|ven|sam|dim|mié|jue|vie|sáb|dom|"
    r"mo|di|mi|do|fr|sa|so|ma|ti|ke|to|pe|la|su|po|út|st|čt|pá|ne|"
    r"seg|ter|qua|qui|sex|pon|wt|śr|czw|pt|sob|niedz|man|tir|ons|tor|fre|lør|søn|mån|tis|tors|lör|sön|"
    r"пн|вт|ср|чт|пт|сб|вс|понедельник|вторник|среда|четверг|пятница|суббота|воскресенье|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|sent|gesendet|envoyé|enviado"
)
ATTRIBUTION_START = re.compile(rf"[ \t>*-]*(?:(?:{_OPENERS})(?!\w)|\d{{1,4}}(?:[./:,\s年-])|在\s)", re.IGNORECASE)

# An attribution glued to the end of the customer's own line: "Thanks--- On Wed, ... wrote:".
MIDLINE_OPENER = re.compile(r"(?:\s|-{2,})\s*(?:on|am|le|el|il|op|den|em)\s", re.IGNORECASE)

_ORIGINAL_PHRASES = (
    r"original\s+message|original\s+e-?mail|ursprüngliche\s+nachricht|original-nachricht|message\s+d'origine|"
    r"message\s+original|mensaje\s+original|messaggio\s+originale|mensagem\s+original|oorspronkelijk\s+bericht|"
    r"origineel\s+bericht|oprindelig\s+(?:besked|meddelelse)|opprinnelig\s+melding|originalmeddelande|"
    r"ursprungligt\s+meddelande|alkuperäinen\s+viesti|исходное\s+сообщение|оригинальное\s+сообщение|"
    r"původní\s+(?:e-mail|zpráva)|pôvodná\s+správa|oryginalna\s+wiadomość|wiadomość\s+oryginalna|"
    r"eredeti\s+üzenet|orijinal\s+mesaj|özgün\s+ileti|原始邮件|原始郵件|原邮件|元のメッセージ|원본\s*메시지|"
    r"reply\s+message|mesaj\s+original|αρχικό\s+μήνυμα"
)
ORIGINAL_SEPARATOR = re.compile(
    rf"[ \t>]*[-_=*~]{{2,40}}[ \t]*(?:{_ORIGINAL_PHRASES})[ \t]*:?[ \t]*[-_=*~]{{0,40}}[ \t]*$", re.IGNORECASE
)

_FORWARD_PHRASES = (
    r"forwarded\s+message|forwarded\s+e-?mail|weitergeleitete\s+nachricht|message\s+transféré|"
    r"message\s+transfére|mensaje\s+reenviado|messaggio\s+inoltrato|mensagem\s+encaminhada|"
    r"mensagem\s+reencaminhada|doorgestuurd\s+bericht|videresendt\s+(?:meddelelse|besked|melding)|"
    r"vidarebefordrat\s+(?:meddelande|mejl)|välitetty\s+viesti|пересылаемое\s+сообщение|"
    r"пересланное\s+сообщение|přeposlaná\s+zpráva|preposlaná\s+správa|przekazana\s+wiadomość|"
    r"wiadomość\s+przekazana|továbbított\s+üzenet|iletilen\s+ileti|yönlendirilen\s+ileti|转发邮件|轉寄郵件|"
    r"转发的邮件|転送メッセージ|転送されたメッセージ|전달된\s*메시지|forwarded\s+by\b[^\n]{0,120}"
)
FORWARD_SEPARATOR = re.compile(
    rf"[ \t]*[-_=*~]{{2,40}}[ \t]*(?:{_FORWARD_PHRASES})[ \t]*:?[ \t]*[-_=*~]{{0,40}}[ \t]*$", re.IGNORECASE
)
FORWARD_INTRO = re.compile(
    r"[ \t]*(?:begin\s+forwarded\s+message|anfang\s+der\s+weitergeleiteten\s+nachricht|"
    r"début\s+du\s+message\s+(?:réexpédié|transféré)|inicio\s+del\s+mensaje\s+reenviado|"
    r"comienzo\s+del\s+mensaje\s+reenviado|inizio\s+messaggio\s+inoltrato|"
    r"início\s+da\s+mensagem\s+(?:reencaminhada|encaminhada)|begin\s+doorgestuurd\s+bericht|"
    r"videresendt\s+besked|vidarebefordrat\s+brev|välitetty\s+viesti\s+alkaa|"
    r"начало\s+переадресованного\s+сообщения|začátek\s+přeposlané\s+zprávy|"
    r"początek\s+przekazywanej\s+wiadomości|転送されたメッセージ|以下是转发的邮件)[ \t]*:?[ \t]*$",
    re.IGNORECASE,
)
FORWARD_SUBJECT = re.compile(
    r"[ \t]*(?:\[[^\]]{0,40}\][ \t]*)?"
    r"(?:fwd?|fw|wg|tr|trs|rv|enc|i|vl|vb|doorst|pd|перес|转发|轉寄|転送|전달)[ \t]*[:：]",
    re.IGNORECASE,
)

UNDERSCORE_SEPARATOR = re.compile(r"[ \t]*_{8,}[ \t]*$")
RULE_ONLY = re.compile(r"[ \t]*[-=_*~—–]{3,}[ \t]*$")

# Header fields of a quoted message block, mapped to what they mean.
_FIELDS = {
    "from": r"from|von|de|van|da|fra|från|od|от|lähettäjä|feladó|kimden|差出人|发件人|發件人|寄件者|보낸\s*사람|"
    r"mittente|remetente|afsender|avsändare|avsender|absender|expéditeur|από|de\s+la|від|šalje|pošiljatelj|"
    r"dari|từ|من|מאת",
    "date": r"sent|date|gesendet|datum|envoyé|enviado(?:\s+el)?|enviada(?:\s+em)?|inviato|data|verzonden|"
    r"verstuurd|sendt|dato|skickat|wysłano|wysłane|отправлено|дата|lähetetty|päivämäärä|elküldve|dátum|"
    r"gönderildi|tarih|odesláno|odoslané|message\s+du|送信日時|日付|发送时间|發送時間|日期|时间|寄件日期|보낸\s*날짜|날짜|"
    r"fecha|στάλθηκε|ημερομηνία|trimis|надіслано|изпратено|poslano|dikirim|tanggal|đã\s+gửi|ngày|أرسل|التاريخ|נשלח|תאריך",
    "to": r"to|an|à|a|para|aan|til|till|do|кому|vastaanottaja|címzett|kime|komu|宛先|收件人|收件者|받는\s*사람|"
    r"destinataire|pour|per|προς|către|до|prima|kepada|đến|إلى|אל",
    "subject": r"subject|betreff|objet|sujet|asunto|oggetto|ogg|assunto|onderwerp|emne|ämne|temat|тема|aihe|"
    r"tárgy|konu|předmět|predmet|件名|主题|主旨|제목|betreft|θέμα|subiect|subjek|perihal|chủ\s+đề|الموضوع|נושא",
    "cc": r"cc|kopie|copie\s+à|copia|kopia|копия|抄送|副本|참조",
}
HEADER_FIELD = re.compile(
    r"[ \t]*\*{0,2}(?:(?P<from>" + _FIELDS["from"] + r")|(?P<date>" + _FIELDS["date"] + r")|(?P<to>"
    + _FIELDS["to"] + r")|(?P<subject>" + _FIELDS["subject"] + r")|(?P<cc>" + _FIELDS["cc"]
    + r"))[ \t]*\*{0,2}[ \t]*[:：][ \t]*\*{0,2}(?P<value>[^\n]*)$",
    re.IGNORECASE,
)

_MOBILE = (
    r"sent\s+from\s+(?:my\s+)?[\w'’.-]+(?:\s+[\w'’.-]+){0,4}|sent\s+with\s+[\w.-]+(?:\s+[\w.-]+){0,3}|"
    r"get\s+outlook\s+for\s+(?:ios|android)|"
    r"gesendet\s+(?:von|mit)\s+(?:meinem\s+)?[\w.-]+(?:\s+[\w.-]+){0,4}|von\s+meinem\s+[\w.-]+(?:\s+[\w.-]+){0,3}\s+gesendet|"
    r"envoyé\s+(?:de|depuis)\s+(?:mon|ma|l'application|)\s*[\w'.-]+(?:\s+[\w.-]+){0,4}|"
    r"télécharger\s+outlook\s+pour\s+(?:ios|android)|"
    r"enviado\s+(?:desde|de|do)\s+(?:mi|meu|o\s+meu|)\s*[\w.-]+(?:\s+[\w.-]+){0,4}|"
    r"descargar\s+outlook\s+para\s+(?:ios|android)|baixe\s+o\s+outlook\s+para\s+(?:ios|android)|"
    r"inviato\s+da\s+(?:il\s+mio\s+|mio\s+|)[\w.-]+(?:\s+[\w.-]+){0,4}|scarica\s+outlook\s+per\s+(?:ios|android)|"
    r"verzonden\s+(?:met|vanaf|van)\s+(?:mijn\s+)?[\w.-]+(?:\s+[\w.-]+){0,4}|outlook\s+voor\s+(?:ios|android)\s+downloaden|"
    r"sendt\s+fra\s+(?:min\s+)?[\w.-]+(?:\s+[\w.-]+){0,3}|skickat\s+från\s+(?:min\s+)?[\w.-]+(?:\s+[\w.-]+){0,3}|"
    r"hent\s+outlook\s+til\s+(?:ios|android)|lähetetty\s+[\w.-]+(?:\s+[\w.-]+){0,3}|"
    r"wysłane\s+z\s+[\w.-]+(?:\s+[\w.-]+){0,4}|pobierz\s+aplikację\s+outlook\s+dla\s+systemu\s+(?:ios|android)|"
    r"отправлено\s+(?:с|из)\s+[\w.-]+(?:\s+[\w.-]+){0,3}|odesláno\s+z\s+[\w.-]+(?:\s+[\w.-]+){0,3}|"
    r"küldve\s+(?:az?\s+)?[\w.-]+(?:\s+[\w.-]+){0,3}|[\w.'’-]+(?:\s+[\w.-]+){0,2}\s+gönderildi|"
    r"iphoneから送信|androidから送信|从我的\s*iphone\s*发送|發自我的\s*iphone|发自我的\s*iphone"
)
MOBILE_SIGNATURE = re.compile(rf"[ \t]*(?:{_MOBILE})[ \t]*\.?[ \t]*(?:<[^<>\s]{{1,200}}>)?[ \t]*$", re.IGNORECASE)


def header_field(line: str) -> tuple[str, str] | None:
    """(kind, value) when the line is a header field of a quoted message, else None."""
    if len(line) > MAX_MARKER_LINE:
        return None
    found = HEADER_FIELD.match(line)
    if not found:
        return None
    kind = next(name for name in ("from", "date", "to", "subject", "cc") if found.group(name) is not None)
    return kind, found.group("value")


def is_forward_marker(line: str) -> bool:
    return len(line) <= MAX_MARKER_LINE and bool(FORWARD_SEPARATOR.match(line) or FORWARD_INTRO.match(line))


def is_original_separator(line: str) -> bool:
    return len(line) <= MAX_MARKER_LINE and bool(ORIGINAL_SEPARATOR.match(line))


def is_mobile_signature(line: str) -> bool:
    return len(line) <= 200 and "," not in line and bool(MOBILE_SIGNATURE.match(line))


def _names_a_sender(joined: str) -> bool:
    """ "..., Support a écrit :" names who wrote; "On 3 May I wrote to you:" is the customer telling a story."""
    verb = VERB_AT_END.search(joined)
    if not verb:
        return False
    before = joined[: verb.start()].split()
    return bool(before) and before[-1].strip(",.;").lower() not in FIRST_PERSON


def is_attribution(joined: str, followed_by_quote: bool) -> bool:
    """Whether one to three joined lines read as "On <date>, <sender> wrote:" in some language."""
    if len(joined) > MAX_MARKER_LINE:
        return False
    has_address = "@" in joined
    if DASHED.match(joined) and VERB_AT_END.search(joined.rstrip(" \t-")):
        return True
    opens = bool(ATTRIBUTION_START.match(joined))
    if not (has_address or DIGIT.search(joined)):
        # "On Mon, Support wrote:" names no date or address; only a quote right below makes it an attribution.
        return followed_by_quote and opens and bool(VERB_AT_END.search(joined))
    if ATTRIBUTION_VERB.search(joined) and (has_address or opens):
        if not (has_address or followed_by_quote):
            return _names_a_sender(joined)  # history would be cut on this line alone: ask for more
        # A colon, or a verb at the very end ("... wrote"), closes the attribution.
        return joined.rstrip().endswith((":", "：", "-")) or bool(VERB_AT_END.search(joined))
    if has_address and ADDRESS_AT_END.search(joined):
        return opens or followed_by_quote
    # Old Gmail: "2011/4/7 Bob <bob@example.com>" straight above the quote, with no colon.
    return followed_by_quote and has_address and joined.rstrip().endswith(">") and joined.lstrip()[:1].isdigit()
