"""Phrases that automated mail uses, by language; matched on NFKC-normalised lowercase text.

Subject phrases are anchored at the start (optionally after a `[tag]`) and must be followed by a
separator, the end, or a return-date word: "Automatic reply: ..." is a robot's prefix,
"Automatic reply emails from your product are broken" is a person's sentence. Body phrases are
first person, present or future ("I am out of the office"), never past ("I was out of office").
"""

from __future__ import annotations

import re
import unicodedata

# Prefixes mail systems put before the original subject of an auto-reply.
AUTOREPLY_SUBJECT = {
    "en": ["automatic reply", "auto reply", "auto-reply", "autoreply", "auto response", "auto-response",
           "autoresponse", "automated reply", "automated response", "automatic response"],
    "de": ["automatische antwort", "autoantwort", "automatische rückantwort"],
    "fr": ["réponse automatique", "reponse automatique", "réponse auto"],
    "es": ["respuesta automática", "respuesta automatica"],
    "it": ["risposta automatica"],
    "pt": ["resposta automática", "resposta automatica"],
    "nl": ["automatisch antwoord"],
    "sv": ["autosvar", "automatiskt svar"],
    "da": ["automatisk svar"],
    "fi": ["automaattinen vastaus"],
    "pl": ["automatyczna odpowiedź", "autoodpowiedź"],
    "ru": ["автоматический ответ", "автоответ"],
    "uk": ["автоматична відповідь"],
    "cs": ["automatická odpověď"],
    "sk": ["automatická odpoveď"],
    "hu": ["automatikus válasz"],
    "ro": ["răspuns automat"],
    "el": ["αυτόματη απάντηση"],
    "tr": ["otomatik yanıt", "otomatik cevap"],
    "ja": ["自動応答", "自動返信"],
    "zh": ["自动回复", "自動回覆", "自动答复", "自動回復"],
    "ko": ["자동 응답", "자동 회신", "자동응답"],
}

# Subjects that name an absence; weaker than the prefixes above, so they need corroboration.
OOO_SUBJECT = {
    "en": ["out of office", "out of the office", "ooo", "away from the office", "away from my desk", "on vacation",
           "on holiday", "on leave", "annual leave", "vacation reply", "vacation", "away", "absence"],
    "de": ["abwesenheitsnotiz", "abwesenheit", "abwesend", "nicht im büro", "außer haus", "ausser haus", "urlaub"],
    "fr": ["absence du bureau", "absent du bureau", "absente du bureau", "absence", "absent", "absente", "en congé",
           "en congés", "message d'absence", "hors du bureau"],
    "es": ["fuera de la oficina", "fuera de oficina", "ausente", "ausencia", "de vacaciones"],
    "it": ["fuori sede", "fuori ufficio", "fuori dall'ufficio", "assente", "in ferie", "assenza"],
    "pt": ["fora do escritório", "fora do escritorio", "ausente", "ausência", "ausência do escritório", "de férias"],
    "nl": ["afwezig", "afwezigheid", "niet aanwezig", "buiten kantoor", "met vakantie", "niet op kantoor"],
    "da": ["fraværende", "fravær", "ikke på kontoret", "på ferie"],
    "sv": ["frånvaro", "frånvarande", "ej på kontoret", "inte på kontoret", "på semester"],
    "no": ["fraværende", "fravær", "ikke på kontoret", "på ferie"],
    "fi": ["poissa", "poissa toimistolta", "lomalla", "poissaolo"],
    "pl": ["poza biurem", "nieobecność", "nieobecny", "nieobecna", "na urlopie"],
    "ru": ["вне офиса", "нет на месте", "в отпуске", "отсутствую", "отсутствие"],
    "cs": ["mimo kancelář", "nepřítomnost", "nepřítomen", "nepřítomna", "na dovolené"],
    "hu": ["házon kívül", "szabadságon", "szabadság"],
    "tr": ["ofis dışında", "ofis dışı", "izinde"],
    "ja": ["不在", "休暇", "不在のお知らせ", "出張"],
    "zh": ["不在办公室", "不在辦公室", "休假", "外出", "休假中"],
    "ko": ["부재중", "부재 중", "휴가"],
}

# First-person statements of being away, in the body (or a Lotus-style subject).
OOO_BODY = {
    "en": [r"\bi(?:'m| am)\s+(?:currently\s+|now\s+)?(?:out of (?:the )?office|away\b|on (?:annual |parental |sick |"
           r"maternity |paternity )?(?:leave|vacation|holidays?)|travell?ing|off work|not in the office|ooo\b)",
           r"\bi(?:'ll| will| shall)\s+be\s+(?:out of (?:the )?office|away|on (?:\w+ )?(?:leave|vacation|holiday)|"
           r"back|returning|travell?ing)", r"\bi(?:'ll| will) (?:return|be back)\b",
           r"\bwith (?:limited|no|intermittent) (?:access to )?(?:e-?mail|internet)"],
    "de": [r"\bich bin\b[^.!?\n]{0,60}?(?:nicht im büro|abwesend|nicht erreichbar|im urlaub|außer haus|ausser haus|"
           r"nicht im hause|auf dienstreise|in elternzeit)", r"\bich werde\b[^.!?\n]{0,60}?(?:nicht im büro|abwesend|"
           r"nicht erreichbar|im urlaub)", r"\bich kehre\b[^.\n]{0,40}zurück", r"\bwieder (?:im büro|erreichbar)",
           r"\bihre (?:e-mail|nachricht|mail) wird nicht weitergeleitet", r"\bbefinde mich\b[^.\n]{0,40}(?:urlaub|"
           r"außer haus|dienstreise)"],
    "fr": [r"\bje suis (?:actuellement |en ce moment )?(?:absente?|en congés?|en vacances|hors du bureau|"
           r"en déplacement)",
           r"\bje serai (?:absente?|en congés?|en vacances|de retour|hors du bureau|en déplacement)",
           r"\bje (?:n'aurai|n'ai) (?:qu'un accès limité|pas accès|pas d'accès)", r"\bà mon retour\b"],
    "es": [r"\b(?:estoy|me encuentro|estaré) (?:actualmente )?(?:fuera de (?:la )?oficina|de vacaciones|ausente|"
           r"de viaje|de baja|de permiso)", r"\b(?:regresaré|volveré|estaré de vuelta|me reincorporaré)\b",
           r"\ba mi (?:regreso|vuelta)\b"],
    "it": [r"\b(?:sono|sarò|saro) (?:attualmente )?(?:fuori (?:sede|ufficio|dall'ufficio)|assente|in ferie|"
           r"in vacanza|in trasferta)", r"\b(?:rientrerò|rientrero|sarò di ritorno|tornerò)\b", r"\bal mio rientro\b"],
    "pt": [r"\b(?:estou|estarei|me encontro) (?:atualmente )?(?:fora do escritório|ausente|de férias|em férias|"
           r"de licença|em viagem)", r"\b(?:retornarei|voltarei|regressarei|estarei de volta)\b",
           r"\b(?:após o meu|no meu|ao meu) (?:retorno|regresso)\b"],
    "nl": [r"\bik ben\b[^.\n]{0,40}?(?:afwezig|niet aanwezig|met vakantie|op vakantie|niet op kantoor|buiten kantoor)",
           r"\b(?:weer aanwezig|terug op kantoor)\b", r"\buw (?:e-mail|bericht|mail) wordt niet doorgestuurd"],
    "da": [r"\bjeg er\b[^.\n]{0,40}?(?:ikke på kontoret|fraværende|på ferie|bortrejst|på barsel|ikke til stede)",
           r"\b(?:er )?tilbage (?:igen |på kontoret )?(?:den|d\.|\d|mandag|tirsdag|onsdag|torsdag|fredag)"],
    "sv": [r"\bjag är\b[^.\n]{0,40}?(?:inte på kontoret|ej på kontoret|ledig|borta|på semester|frånvarande|"
           r"tjänstledig|föräldraledig)", r"\b(?:tillbaka|åter) (?:igen |på kontoret )?(?:den|\d|måndag|tisdag|"
           r"onsdag|torsdag|fredag)"],
    "no": [r"\bjeg er\b[^.\n]{0,40}?(?:ikke på kontoret|på ferie|fraværende|bortreist|ikke til stede)",
           r"\btilbake (?:igjen |på kontoret )?(?:den|\d|mandag|tirsdag|onsdag|torsdag|fredag)"],
    "fi": [r"\bolen\b[^.\n]{0,30}?(?:poissa|lomalla|matkoilla|vapaalla|sairauslomalla)", r"\bpalaan\b"],
    "pl": [r"\b(?:jestem|będę)\b[^.\n]{0,30}?(?:poza biurem|na urlopie|nieobecn[ay]|niedostępn[ya]|w delegacji)",
           r"\b(?:wracam|wrócę|powrócę)\b"],
    "ru": [r"\bя\b[^.\n]{0,30}?(?:в отпуске|вне офиса|в командировке|на больничном|отсутствую)",
           r"меня нет на месте", r"\b(?:вернусь|буду отсутствовать)\b"],
    "cs": [r"\bjsem\b[^.\n]{0,30}?(?:mimo kancelář|na dovolené|nepřítomn[ýáa]|na služební cestě)",
           r"\b(?:vrátím se|budu zpět)\b"],
    "hu": [r"\b(?:szabadságon|házon kívül) vagyok\b", r"\b(?:visszatérek|visszaérkezem)\b"],
    "tr": [r"(?:ofis dışındayım|izindeyim|tatildeyim|izinli olacağım|ofiste olmayacağım|döndüğümde|döneceğim)"],
    "ja": [r"不在にしております|不在にしています|不在です|休暇をいただいて|まで(?:お休み|休暇)|出張のため|不在のため"],
    "zh": [r"不在办公室|不在辦公室|正在休假|休假中|外出中|出差中|在休假|将于.{0,15}(?:返回|回来|回到)|"
           r"將於.{0,15}(?:返回|回來|回到)"],
    "ko": [r"휴가 중|부재중|부재 중|출장 중|복귀(?:합니다|하여|예정)|돌아옵니다"],
}

# "For anything urgent, contact ..." : what an absence notice offers instead of its author.
URGENT = [
    r"\bfor (?:anything |something )?urgent", r"\bif (?:it is|it's|this is|your matter is) urgent",
    r"\burgent (?:matters|"
    r"requests|enquiries|inquiries)", r"\bin case of (?:emergency|urgency)", r"\bfor emergencies",
    r"\bimmediate assistance",
    r"\bin my absence", r"\bin dringenden fällen", r"\bdringende(?:n)? (?:anliegen|angelegenheiten|fragen)",
    r"\bin meiner abwesenheit", r"\ben cas d'urgence", r"\bpour toute (?:demande )?urgen", r"\ben mon absence",
    r"\ben caso de urgencia", r"\bpara (?:temas|asuntos) urgentes", r"\bsi es urgente", r"\ben mi ausencia",
    r"\bper urgenze", r"\bin caso di urgenza", r"\bper questioni urgenti", r"\bin mia assenza",
    r"\bem caso de urgência",
    r"\bpara assuntos urgentes", r"\bna minha ausência", r"\bin dringende gevallen", r"\bvoor dringende zaken",
    r"\bi akutte tilfælde", r"\bved hastende", r"\bbrådskande ärenden", r"\bvid brådskande", r"\bi hastesaker",
    r"\bkiireellisissä asioissa", r"\bw pilnych sprawach", r"\bпо срочным вопросам", r"\bв срочных случаях",
    r"\bv naléhavých případech", r"\bsürgős (?:esetben|ügyekben)", r"\bacil durumlarda", r"お急ぎの場合", r"如有急事",
    r"紧急情况", r"如有紧急", r"급한 용무",
]

# A message saying of itself that a machine sent it.
SELF_DECLARED = [
    r"\bthis is an? (?:automatic|automated|auto-generated|automatically generated) (?:reply|response|message|e-?mail|"
    r"notification)", r"\bthis (?:message|e-?mail|reply|response) (?:is|was|has been) (?:sent |generated )?"
    r"automatically", r"\b(?:automatically|auto-) ?generated\b", r"\bautomated (?:response|reply|message) to your",
    r"\bplease do not reply (?:to|directly)", r"\bdo not reply to this", r"\bthis mailbox is not monitored",
    r"\bno need to reply to this", r"\bdies ist eine automatische", r"\bautomatisch (?:generiert|erstellt|versendet|"
    r"verschickt|erzeugt)", r"\bbitte antworten sie nicht", r"\bceci est un(?:e)? (?:réponse|message) automatique",
    r"\bmessage automatique", r"\bmerci de ne pas (?:y )?répondre", r"\b(?:généré|envoyé) automatiquement",
    r"\b(?:esta|este) es una? (?:respuesta|mensaje) automátic", r"\bmensaje automático", r"\bgenerado automáticamente",
    r"\bno responda a este", r"\bquesta è una risposta automatica", r"\bmessaggio automatico",
    r"\bgenerato automaticamente", r"\bnon rispondere a questo", r"\besta é uma (?:resposta|mensagem) automática",
    r"\bmensagem automática", r"\bgerada automaticamente", r"\bdit is een automatisch", r"\bautomatisch (?:gegenereerd|"
    r"verzonden)", r"\bdette er et automatisk", r"\bautomatisk (?:genereret|generert)", r"\bdetta är ett automatiskt",
    r"\bautomatiskt genererat", r"\btämä on automaattinen", r"\bautomaattisesti lähetetty", r"\bautomaattinen viesti",
    r"\bto jest automatyczna", r"\bwygenerowana automatycznie", r"\bэто автоматическ(?:ий|ое|ое) (?:ответ|сообщение|"
    r"письмо)", r"\b(?:сгенерировано|создано) автоматически", r"\bэто письмо создано автоматически",
    r"\btoto je automatická", r"\bautomaticky (?:generovaná|vygenerovaná|odeslaná)", r"\bez egy automatikus",
    r"\bautomatikusan generált", r"\bbu (?:bir )?otomatik (?:yanıt|mesaj|cevap)", r"\botomatik olarak (?:gönderil|"
    r"oluşturul)", r"自動返信|自動送信|自動配信|自動応答|このメールは送信専用",
    r"自动回复|自動回覆|系统自动发送|自动发送|请勿回复|請勿回覆",
    r"자동 (?:응답|회신|발송)|자동으로 (?:발송|생성)|회신하지 마",
]

# Another help desk confirming it opened a ticket.
ACK_SUBJECT = [
    r"^\[?request received\]?", r"^ticket received\b", r"^(?:your )?(?:request|ticket|case|enquiry|inquiry)\b.{0,40}?"
    r"\b(?:has been|was|is) (?:received|created|opened|logged|registered)", r"^we(?:'ve| have) received your",
    r"^thank you for contacting\b", r"^(?:support )?ticket (?:opened|created)\b", r"^(?:incident|case|request) "
    r"[\w-]*\d+ has been (?:opened|created|logged)", r"^thanks for your (?:email|message|request)\b",
    r"^ihre anfrage\b.{0,30}?(?:ist eingegangen|wurde (?:erhalten|erfasst|angelegt|registriert))",
    r"^eingangsbestätigung", r"^wir haben ihre (?:anfrage|nachricht|e-mail) erhalten", r"^accusé de réception",
    r"^nous avons bien reçu votre", r"^votre demande\b.{0,30}?a (?:bien )?été (?:reçue|enregistrée|créée)",
    r"^acuse de recibo", r"^hemos recibido su", r"^conferma di ricezione", r"^abbiamo ricevuto la",
    r"^recebemos (?:a )?sua", r"^ontvangstbevestiging", r"^we hebben uw .{0,20}ontvangen", r"^ваше (?:обращение|"
    r"заявка).{0,30}(?:получено|принято|зарегистрирован)", r"^talebiniz alındı", r"^お問い合わせ(?:を)?受け付け",
]
ACK_BODY = [
    r"\byour (?:request|ticket|case|enquiry|inquiry|message|email)\b.{0,40}?\b(?:has been|was|is being) (?:received|"
    r"created|opened|logged|registered)", r"\bwe(?:'ve| have) (?:received|got) your (?:request|message|email|e-mail|"
    r"enquiry|inquiry)", r"\byour (?:ticket|case|reference|request) (?:number |id )?is\b",
    r"\bhas been assigned (?:an id|"
    r"a ticket|#|the (?:ticket|reference))",
    r"\ba (?:support )?(?:ticket|request for support) has been (?:created|opened)",
    r"\bticket has been created", r"\backnowledge (?:that we have )?(?:receipt|received)",
    r"\bwir haben ihre (?:anfrage|nachricht|e-mail|mail) erhalten", r"\bihre anfrage\b.{0,30}?(?:ist eingegangen|"
    r"wurde (?:erhalten|erfasst|angelegt|registriert))", r"\bunter der (?:ticketnummer|vorgangsnummer)",
    r"\bnous avons bien reçu votre", r"\bvotre demande\b.{0,30}?a (?:bien )?été (?:reçue|enregistrée|créée|prise en "
    r"compte)", r"\bun ticket\b.{0,30}?a été créé", r"\bhemos recibido su (?:solicitud|mensaje|consulta|correo)",
    r"\bsu solicitud\b.{0,30}?ha sido (?:recibida|registrada|creada)", r"\bregistrado con el número",
    r"\babbiamo ricevuto la (?:sua|tua) (?:richiesta|email|e-mail|segnalazione)",
    r"\bla (?:sua|tua) richiesta\b.{0,30}?"
    r"è stata (?:ricevuta|registrata|presa in carico)", r"\brecebemos (?:a )?sua (?:solicitação|mensagem)",
    r"\bsua solicitação\b.{0,30}?foi (?:recebida|registrada)", r"\bwe hebben uw (?:verzoek|aanvraag|bericht|e-mail|"
    r"melding) ontvangen", r"\bvi har (?:tagit emot|mottagit) (?:din|ditt|er)", r"\bvi har modtaget din",
    r"\bvi har mottatt din", r"\bolemme vastaanottaneet", r"\botrzymaliśmy (?:twoje|pana|pani|państwa) "
    r"(?:zgłoszenie|wiadomość)", r"\bваше (?:обращение|письмо|заявка)\b.{0,30}?(?:получено|принято|зарегистрирован)",
    r"\bмы получили ваше", r"\bpřijali jsme váš", r"\btalebiniz (?:alındı|alınmıştır|oluşturuldu)",
    r"お問い合わせを受け付けました|受付(?:完了|いたしました)", r"我们已收到您的|已收到您的|工单已创建|工單已建立",
    r"문의가 접수되었습니다|접수되었습니다",
]
TICKET_REF = [
    r"\[(?:ticket|case|request)?\s*#\s*[\w-]*\d+\]", r"\bticket\s*(?:#|no\.?|number|id)\s*[:\-]?\s*\w*\d{2,}",
    r"\bticket#\d+", r"\[##\s*\d+\s*##\]", r"\bref:[\w!.]+:ref\b", r"\b(?:inc|req|ritm|cs|case|sr)\d{5,}\b",
    r"\b[a-z]{2,10}-\d{1,7}\b", r"\(#?\d{3,}\)", r"#\d{3,}", r"\b(?:ticketnummer|vorgangsnummer|número|numéro|n°)\s*"
    r"[\w-]*\d{3,}", r"\bcase number is\b", r"\breference (?:number )?is\b",
]
# Mailing-list software telling a poster what happened to their post.
LIST_NOTICE = [
    r"^your (?:message|mail|post) to .{1,80}? (?:awaits moderator approval|is being held|was rejected|has been "
    r"rejected|requires approval|needs approval)", r"\bis being held until the list moderator",
    r"\byou (?:do not|don't) have permission to post\b", r"\bnot have permission to post messages to the group",
    r"\bpost by non-member to a members-only list", r"\bnon-members may not post", r"^ihre (?:nachricht|e-mail) an "
    r".{1,80}? (?:wartet auf|wurde zurückgewiesen|wurde abgelehnt)",
    r"\bwird zurückgehalten,? bis (?:der|ein) moderator",
    r"^votre message (?:à|pour) .{1,80}? (?:est en attente|a été rejeté|attend l'approbation)",
    r"\best retenu jusqu'à ce que le modérateur", r"^su mensaje (?:a|para) .{1,80}? (?:espera la aprobación|está a la "
    r"espera|ha sido rechazado)", r"^(?:[\w.-]+ )?mailing list memberships reminder",
    r"^welcome to the .{1,80} mailing list",
    r"^confirm [0-9a-f]{20,}",
]
# "[Ticket#2026112610000031] ", "[## 45210 ##] ", "Case 00088123: ": the tags help desks put first.
TICKET_PREFIX = re.compile(r"^(?:\[[^\]]{0,60}\]\s*:?\s*|(?:case|ticket|incident|request)\s*#?\s*[\w-]*\d+"
                           r"\s*[:\-]\s*)+")
FORWARD_PREFIX = re.compile(r"^\s*(?:\[[^\]]{0,40}\]\s*)?(?:fwd?|fw|wg|tr|rv|enc|doorst|vs|vb|rif|pd|fs|i|"
                            r"转发|轉寄|転送|전달|пересл|přep)\s*:", re.I)
REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|antw|vs|ref|res|odp|ответ|回复|答复|返信|회신|ynt|r)\s*:", re.I)

_SEPARATOR = (r"(?=\s*(?:[:\-–—|(\[]|$)|\s+(?:until|till|through|from|bis|ab|vom|jusqu|du|hasta|desde|fino|dal|"
              r"até|tot|t/m|vanaf|till|til|indtil|fram|asti|do|od|до|с|kadar|\d))")


def normalise(text: str) -> str:
    """NFKC lowercase with one space between words: fullwidth and compatibility forms fold to plain ones."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _subject_regex(phrases: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(normalise(p)) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"^(?:\[[^\]]{{0,40}}\]\s*)?(?:{alternatives}){_SEPARATOR}")


# Within one sentence: any character but sentence punctuation, except the full stop of an ordinal
# date ("bis zum 8. Dezember", "den 8. december"), which must not end the sentence.
_SENTENCE_SPANS = {"[^.!?\\n]": r"(?:[^.!?\n]|(?<=\d)\.)", "[^.\\n]": r"(?:[^.\n]|(?<=\d)\.)"}


def _any(patterns: list[str]) -> re.Pattern[str]:
    joined = "|".join(f"(?:{p})" for p in patterns)
    for span, within in _SENTENCE_SPANS.items():
        joined = joined.replace(span, within)
    return re.compile(joined)


AUTOREPLY_SUBJECT_RE = {lang: _subject_regex(p) for lang, p in AUTOREPLY_SUBJECT.items()}
OOO_SUBJECT_RE = {lang: _subject_regex(p) for lang, p in OOO_SUBJECT.items()}
OOO_BODY_RE = {lang: _any(p) for lang, p in OOO_BODY.items()}
URGENT_RE = _any(URGENT)
SELF_DECLARED_RE = _any(SELF_DECLARED)
ACK_SUBJECT_RE = _any(ACK_SUBJECT)
ACK_BODY_RE = _any(ACK_BODY)
TICKET_REF_RE = _any(TICKET_REF)
LIST_NOTICE_RE = _any(LIST_NOTICE)


def language_of(tables: dict[str, re.Pattern[str]], text: str) -> str | None:
    """The language whose pattern matches most of `text` (already normalised), or None.

    The longest match names the language: "absence du bureau" is French although "absence" is English too.
    """
    best, best_length = None, 0
    for lang, pattern in tables.items():
        found = pattern.search(text)
        if found and len(found.group(0)) > best_length:
            best, best_length = lang, len(found.group(0))
    return best
