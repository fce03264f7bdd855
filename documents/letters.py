"""The official letters a case needs, in Russian and Kazakh, built from plain data.

Four letters (issue 15), each worded as a Kazakh state body writes an outgoing letter: the
sender, the outgoing number and date, the addressee block, a subject line, a body that cites
the recommendations' paragraph it acts on, an attachments line and the head's signature block
with the name left to fill in:

* ``confirmation_cover``: the written confirmation (Appendix 1) sent to the Anti-Corruption
  Service of the National Security Committee within three working days (p9; p8 for the 1424
  call it follows, p7 for confidentiality);
* ``decision_notice``: the notice to a reporter whose identity is known of the decision taken on
  their report (Appendix 3, right 4; right 5 for the appeal; p14);
* ``agency_materials``: the materials sent to the authorised body for civil service affairs at
  least three working days before the commission meets (p18; p16 or p17 for the invitation);
* ``agency_decision``: the copy of the commission's decision or the collegial body's minutes
  sent to that body within three working days of the decision (p19).

:func:`draft` prefills a letter from :class:`LetterFacts` (dates, kinds, a channel: never a
report's content) and, for the notice only, the reporter's name and position; the back office
lets the handler edit every part and builds the final :class:`Letter` from what they sent. The
letters carry no report content. No Flask and no database here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Literal

from documents.forms import printable
from documents.text import CHANNEL_NUMBERS, Lang, form_text

LetterKind = Literal["confirmation_cover", "decision_notice", "agency_materials", "agency_decision"]
LETTER_KINDS: tuple[LetterKind, ...] = (
    "confirmation_cover",
    "decision_notice",
    "agency_materials",
    "agency_decision",
)
# The letters about a protection matter (p18, p19): built from a ProtectionMatter's dates.
MATTER_LETTERS: tuple[LetterKind, ...] = ("agency_materials", "agency_decision")
# The recommendations' paragraph (or appendix item) each letter acts on: shown on the page and
# recorded nowhere else.
LEGAL_BASIS = MappingProxyType(
    {
        "confirmation_cover": "p9",
        "decision_notice": "Appendix 3 (4)",
        "agency_materials": "p18",
        "agency_decision": "p19",
    }
)

# --- Dates as Kazakh offices write them -------------------------------------------------------

_MONTHS_RU = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
# Kazakh month names in the nominative, the locative ("in": наурызда), the dative ("for":
# наурызға) and the attributive locative ("of": наурыздағы); the endings follow vowel harmony
# and the last sound of the name, so they are listed, not computed.
_MONTHS_KK = (
    ("қаңтар", "қаңтарда", "қаңтарға", "қаңтардағы"),
    ("ақпан", "ақпанда", "ақпанға", "ақпандағы"),
    ("наурыз", "наурызда", "наурызға", "наурыздағы"),
    ("сәуір", "сәуірде", "сәуірге", "сәуірдегі"),
    ("мамыр", "мамырда", "мамырға", "мамырдағы"),
    ("маусым", "маусымда", "маусымға", "маусымдағы"),
    ("шілде", "шілдеде", "шілдеге", "шілдедегі"),
    ("тамыз", "тамызда", "тамызға", "тамыздағы"),
    ("қыркүйек", "қыркүйекте", "қыркүйекке", "қыркүйектегі"),
    ("қазан", "қазанда", "қазанға", "қазандағы"),
    ("қараша", "қарашада", "қарашаға", "қарашадағы"),
    ("желтоқсан", "желтоқсанда", "желтоқсанға", "желтоқсандағы"),
)
_KK_FORMS = {"nom": 0, "loc": 1, "dat": 2, "attr": 3}
BLANK_DATE = MappingProxyType(
    {"ru": "«___» ____________ 20___ года", "kk": "20___ жылғы «___» ____________"}
)
BLANK = "____________"


def date_words(day: date | None, lang: str, form: str = "nom") -> str:
    """``day`` in words: «20 марта 2026 года»; «2026 жылғы 20 наурыз», or in a case ending
    (``form`` "loc", "dat", "attr": «2026 жылғы 20 наурызда / наурызға / наурыздағы»).
    A missing date is the blank a hand fills in."""
    if day is None:
        return BLANK_DATE["kk" if lang == "kk" else "ru"]
    if lang == "kk":
        month = _MONTHS_KK[day.month - 1][_KK_FORMS[form]]
        return f"{day.year} жылғы {day.day} {month}"
    return f"{day.day} {_MONTHS_RU[day.month - 1]} {day.year} года"


# --- What a letter is built from ----------------------------------------------------------


@dataclass(frozen=True)
class LetterFacts:
    """Plain facts of a case or a protection matter: dates, kinds, a channel key."""

    sender: str = ""  # the organization's name (the back office's setting)
    received_on: date | None = None
    channel: str = ""  # Submission.channel key (p5)
    kns_notified_on: date | None = None  # p8: the 1424 call
    outgoing_number: str = ""  # p9: the CONFIRMATION_SENT step's outgoing letter
    outgoing_date: date | None = None
    decision_on: date | None = None  # the authorised body's decision received
    matter_kind: str = ""  # store.models.MATTER_KINDS
    matter_body: str = ""  # store.models.MATTER_BODIES
    meeting_on: date | None = None
    decided_on: date | None = None


@dataclass(frozen=True)
class Recipient:
    """The reporter the notice goes to (from the decrypted identity block, heads only)."""

    full_name: str
    position: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Letter:
    """A letter ready to print: every part as the handler left it."""

    kind: LetterKind
    lang: Lang
    sender: str
    outgoing_number: str
    outgoing_date: date | None
    addressee: str  # one line per line of the addressee block
    subject: str
    paragraphs: tuple[str, ...]
    attachments: str
    signatory_position: str
    signatory_name: str
    labels: LetterLabels = field(init=False)

    def __post_init__(self) -> None:
        # What the handler typed is printed as text: XML-illegal characters go, bidirectional
        # controls become visible placeholders (documents/controls.py).
        for name in (
            "sender",
            "outgoing_number",
            "addressee",
            "subject",
            "attachments",
            "signatory_position",
            "signatory_name",
        ):
            object.__setattr__(self, name, printable(getattr(self, name)))
        kept = tuple(p for p in (printable(p) for p in self.paragraphs) if p)
        object.__setattr__(self, "paragraphs", kept)
        object.__setattr__(self, "labels", LABELS[self.lang])

    @property
    def outgoing_line(self) -> str:
        number = self.outgoing_number or BLANK
        if self.lang == "kk":
            return f"{date_words(self.outgoing_date, 'kk', 'attr')} № {number}"
        return f"№ {number} от {date_words(self.outgoing_date, 'ru')}"

    @property
    def addressee_lines(self) -> tuple[str, ...]:
        return tuple(line.strip() for line in self.addressee.split("\n") if line.strip())

    @property
    def attachments_line(self) -> str:
        return f"{self.labels.attachments}: {self.attachments}" if self.attachments else ""

    @property
    def signature_name(self) -> str:
        return self.signatory_name or BLANK

    @property
    def document_title(self) -> str:
        return self.subject or self.labels.titles[self.kind]


@dataclass(frozen=True)
class LetterLabels:
    attachments: str
    signature_blank: str
    titles: MappingProxyType[str, str]


LABELS: MappingProxyType[str, LetterLabels] = MappingProxyType(
    {
        "ru": LetterLabels(
            attachments="Приложение",
            signature_blank="________________",
            titles=MappingProxyType(
                {
                    "confirmation_cover": "Сопроводительное письмо в СПК КНБ",
                    "decision_notice": "Уведомление о принятом решении",
                    "agency_materials": "Письмо о направлении материалов",
                    "agency_decision": "Письмо о направлении копии решения (протокола)",
                }
            ),
        ),
        "kk": LetterLabels(
            attachments="Қосымша",
            signature_blank="________________",
            titles=MappingProxyType(
                {
                    "confirmation_cover": "ҰҚК СЖҚҚ-ға ілеспе хат",
                    "decision_notice": "Қабылданған шешім туралы хабарлама",
                    "agency_materials": "Материалдарды жіберу туралы хат",
                    "agency_decision": "Шешімнің (хаттаманың) көшірмесін жіберу туралы хат",
                }
            ),
        ),
    }
)

# --- The wording ------------------------------------------------------------------------------

_REF_RU = (
    "Методических рекомендаций для руководителей государственных органов и организаций по "
    "алгоритму действий при поступлении сообщения от работника о коррупционном правонарушении "
    "и обеспечению его защиты (далее – Рекомендации)"
)
# The same title in the genitive ("of the recommendations") and the dative ("to the
# recommendations", for an appendix).
_REF_KK = (
    "Мемлекеттік органдар мен ұйымдардың басшыларына арналған қызметкерден сыбайлас жемқорлық "
    "құқық бұзушылық туралы хабарлама түскен кездегі іс-қимылдар алгоритмі және оны қорғауды "
    "қамтамасыз ету жөніндегі әдістемелік ұсынымдардың (бұдан әрі – Ұсынымдар)"
)
_REF_RU_TO = _REF_RU.replace("Методических рекомендаций", "Методическим рекомендациям")
_REF_KK_TO = _REF_KK.replace("ұсынымдардың (бұдан", "ұсынымдарға (бұдан")

_KNB_RU = (
    "Служба по противодействию коррупции Комитета национальной безопасности Республики Казахстан"
)
_KNB_KK = "Қазақстан Республикасы Ұлттық қауіпсіздік комитетінің Сыбайлас жемқорлыққа қарсы қызметі"
ADDRESSEE = MappingProxyType(
    {
        ("confirmation_cover", "ru"): "Службе по противодействию коррупции\n"
        "Комитета национальной безопасности\nРеспублики Казахстан",
        ("confirmation_cover", "kk"): "Қазақстан Республикасы\nҰлттық қауіпсіздік комитетінің\n"
        "Сыбайлас жемқорлыққа қарсы\nқызметіне",
        # p18-p19: the authorised body for civil service affairs is the Agency (or its
        # territorial department, which the handler types in instead).
        ("agency", "ru"): "Агентству Республики Казахстан\nпо делам государственной службы",
        ("agency", "kk"): "Қазақстан Республикасы\nМемлекеттік қызмет істері агенттігіне",
    }
)
SIGNATORY = MappingProxyType({"ru": "Руководитель", "kk": "Басшы"})

_EMPLOYEE_RU = "работника, оказавшего содействие в противодействии коррупции"
_EMPLOYEE_KK = "сыбайлас жемқорлыққа қарсы іс-қимылға жәрдем көрсеткен қызметкерді"
# p16-p17: what the commission considers, as the object of "по вопросу" / "мәселесі бойынша".
MATTER_QUESTION = MappingProxyType(
    {
        "ru": MappingProxyType(
            {
                "disciplinary": f"о привлечении к дисциплинарной ответственности {_EMPLOYEE_RU}",
                "dismissal": f"об увольнении (освобождении от занимаемой должности) {_EMPLOYEE_RU}",
                "transfer": f"о переводе на другую должность {_EMPLOYEE_RU}",
                "labour_dispute": "индивидуального трудового спора, стороной которого выступает "
                "работник, оказавший содействие в противодействии коррупции",
            }
        ),
        "kk": MappingProxyType(
            {
                "disciplinary": f"{_EMPLOYEE_KK} тәртіптік жауаптылыққа тарту",
                "dismissal": f"{_EMPLOYEE_KK} жұмыстан шығару (атқаратын лауазымынан босату)",
                "transfer": f"{_EMPLOYEE_KK} басқа лауазымға ауыстыру",
                "labour_dispute": "тарапы сыбайлас жемқорлыққа қарсы іс-қимылға жәрдем көрсеткен "
                "қызметкер болып табылатын жеке еңбек дауы",
            }
        ),
    }
)
# The body that meets (genitive), and the paragraph that requires the agency's representative.
BODY_OF = MappingProxyType(
    {
        ("conciliation", "ru"): "согласительной комиссии",
        ("collegial", "ru"): "дисциплинарной комиссии (иного коллегиального органа)",
        ("conciliation", "kk"): "келісу комиссиясының",
        ("collegial", "kk"): "тәртіптік комиссияның (өзге алқалы органның)",
    }
)
BODY_PARAGRAPH = MappingProxyType({"conciliation": 16, "collegial": 17})
# p19: the conciliation commission decides; a collegial body keeps minutes.
DECISION_OF = MappingProxyType(
    {
        ("conciliation", "ru"): "решения согласительной комиссии",
        ("collegial", "ru"): "протокола заседания дисциплинарной комиссии (иного "
        "коллегиального органа)",
        ("conciliation", "kk"): "келісу комиссиясы шешімінің",
        ("collegial", "kk"): "тәртіптік комиссия (өзге алқалы орган) отырысы хаттамасының",
    }
)
SIGNED_BY = MappingProxyType(
    {
        ("conciliation", "ru"): "Решение подписано членами согласительной комиссии, "
        "принимавшими участие в заседании (пункт 19 Рекомендаций).",
        ("collegial", "ru"): "Протокол подписан членами дисциплинарной комиссии (иного "
        "коллегиального органа), принимавшими участие в заседании (пункт 19 Рекомендаций).",
        ("conciliation", "kk"): "Шешімге отырысқа қатысқан келісу комиссиясының мүшелері қол "
        "қойды (Ұсынымдардың 19-тармағы).",
        ("collegial", "kk"): "Хаттамаға отырысқа қатысқан тәртіптік комиссияның (өзге алқалы "
        "органның) мүшелері қол қойды (Ұсынымдардың 19-тармағы).",
    }
)
_CONFIDENTIAL_EMPLOYEE = MappingProxyType(
    {
        "ru": "Сведения о работнике являются конфиденциальными и не подлежат разглашению "
        "(пункт 14 Рекомендаций).",
        "kk": "Қызметкер туралы мәліметтер құпия болып табылады және жария етілуге жатпайды "
        "(Ұсынымдардың 14-тармағы).",
    }
)


def _channel(lang: str, channel: str) -> str:
    """«анонимный веб-портал» (подпункт 5) пункта 5 Рекомендаций), as the sentence needs it."""
    text = form_text(lang)
    name = text.channels.get(channel)
    if name is None:
        return ""
    n = CHANNEL_NUMBERS[channel]
    if lang == "kk":
        return f"«{name}» байланыс арнасы арқылы (Ұсынымдардың 5-тармағының {n}) тармақшасы)"
    return f"по каналу связи «{name}» (подпункт {n}) пункта 5 Рекомендаций)"


# p10: for a report made to the head directly or through the ethics officer (p5 (1), (2)) the
# written confirmation is the employee's written appeal; for the other channels, Appendix 1.
WRITTEN_APPEAL_CHANNELS = ("in_person", "ethics_officer")


def _cover(lang: Lang, f: LetterFacts) -> tuple[str, list[str], str]:
    channel = _channel(lang, f.channel)
    appeal = f.channel in WRITTEN_APPEAL_CHANNELS
    if lang == "kk":
        received = date_words(f.received_on, "kk", "loc")
        body = [
            f"{_REF_KK} 9-тармағына сәйкес {received} {channel} түскен сыбайлас жемқорлық "
            "құқық бұзушылық туралы хабарлама фактісінің жазбаша растауы ретінде қызметкердің "
            "жазбаша өтінішін жолдаймыз (Ұсынымдардың 10-тармағының 1) тармақшасы)."
            if appeal
            else f"{_REF_KK} 9-тармағына сәйкес {received} {channel} түскен сыбайлас жемқорлық "
            "құқық бұзушылық туралы хабарлама фактісінің Ұсынымдарға 1-қосымшаға сәйкес нысан "
            "бойынша жасалған жазбаша растауын жолдаймыз (Ұсынымдардың 10 және 11-тармақтары)."
        ]
        if f.kns_notified_on is not None:
            body.append(
                f"Хабарламаның түскені туралы {date_words(f.kns_notified_on, 'kk', 'loc')} "
                f"1424 байланыс орталығы арқылы {_KNB_KK} хабардар етілді "
                "(Ұсынымдардың 8-тармағы)."
            )
        body.append(
            "Қызметкердің басшыға жүгінгені туралы ақпарат құпия болып табылады, оны таратуға "
            "жол берілмейді (Ұсынымдардың 7-тармағы)."
        )
        return (
            "Жазбаша растауды жіберу туралы",
            body,
            "қызметкердің жазбаша өтініші, ___ парақта, 1 данада."
            if appeal
            else "жазбаша растау (Ұсынымдарға 1-қосымша), ___ парақта, 1 данада.",
        )
    received = date_words(f.received_on, "ru")
    body = [
        f"В соответствии с пунктом 9 {_REF_RU} направляем письменное подтверждение факта "
        f"сообщения о коррупционном правонарушении, поступившего {received} {channel}, – "
        "письменное обращение работника (подпункт 1) пункта 10 Рекомендаций)."
        if appeal
        else f"В соответствии с пунктом 9 {_REF_RU} направляем письменное подтверждение факта "
        f"сообщения о коррупционном правонарушении, поступившего {received} {channel}, "
        "составленное по форме согласно приложению 1 к Рекомендациям (пункты 10 и 11 "
        "Рекомендаций)."
    ]
    if f.kns_notified_on is not None:
        body.append(
            f"О факте поступления сообщения {date_words(f.kns_notified_on, 'ru')} через "
            f"колл-центр 1424 проинформирована {_KNB_RU} (пункт 8 Рекомендаций)."
        )
    body.append(
        "Информация об обращении работника к Руководителю является конфиденциальной, ее "
        "распространение не допускается (пункт 7 Рекомендаций)."
    )
    return (
        "О направлении письменного подтверждения",
        body,
        "письменное обращение работника на ___ л. в 1 экз."
        if appeal
        else "письменное подтверждение (приложение 1 к Рекомендациям) на ___ л. в 1 экз.",
    )


def _notice(lang: Lang, f: LetterFacts) -> tuple[str, list[str], str]:
    # Appendix 3, right 4: the reporter is told the decision; right 5: they may appeal it.
    if lang == "kk":
        received = date_words(f.received_on, "kk", "loc")
        came = (
            f" (шешім {date_words(f.decision_on, 'kk', 'loc')} келіп түсті)"
            if f.decision_on
            else ""
        )
        return (
            "Хабарламаңыз бойынша қабылданған шешім туралы",
            [
                # p7: the notice names the reporter; it must not pass through the general office.
                "Құпия. Жеке өзіне табыс етіледі (Ұсынымдардың 7-тармағы).",
                f"{received} түскен сыбайлас жемқорлық құқық бұзушылық туралы хабарламаңызды "
                "қарау қорытындысы бойынша уәкілетті мемлекеттік орган мынадай шешім "
                f"қабылдағанын хабарлаймыз{came}: {BLANK}.",
                f"Осы хабарлама {_REF_KK_TO} 3-қосымшаның 4) тармақшасына сәйкес жіберіліп "
                "отыр: сыбайлас жемқорлыққа қарсы іс-қимылға жәрдем көрсеткен қызметкер "
                "сыбайлас жемқорлық құқық бұзушылық туралы хабарламасын қарау қорытындысы "
                "бойынша қабылданған шешім туралы ақпарат алуға құқылы.",
                "Уәкілетті мемлекеттік органның шешіміне Қазақстан Республикасының әкімшілік "
                "құқық бұзушылық туралы заңнамасына немесе қылмыстық-процестік заңнамасына "
                "сәйкес шағым жасауға құқылысыз (Ұсынымдарға 3-қосымшаның 5) тармақшасы).",
                "Сіз туралы мәліметтер және Сізді сәйкестендіруге әкеп соғуы мүмкін кез келген "
                "ақпарат сот шешімі немесе Сіздің жазбаша нысанда алынған келісіміңіз болған "
                "жағдайларды қоспағанда, жария етілмейді (Ұсынымдардың 14-тармағы).",
            ],
            "",
        )
    received = date_words(f.received_on, "ru")
    came = f", поступившее {date_words(f.decision_on, 'ru')}" if f.decision_on else ""
    return (
        "О решении, принятом по Вашему сообщению",
        [
            "Конфиденциально. Вручается лично (пункт 7 Рекомендаций).",
            "Сообщаем, что по итогам рассмотрения Вашего сообщения о коррупционном "
            f"правонарушении, поступившего {received}, уполномоченным государственным органом "
            f"принято решение{came}: {BLANK}.",
            "Настоящее уведомление направляется в соответствии с подпунктом 4) приложения 3 к "
            f"{_REF_RU_TO}, согласно которому работник, оказавший содействие в "
            "противодействии коррупции, "
            "имеет право получать информацию о решении, принятом по итогам рассмотрения его "
            "сообщения о коррупционном правонарушении.",
            "Решение уполномоченного государственного органа Вы вправе обжаловать в "
            "соответствии с законодательством Республики Казахстан об административных "
            "правонарушениях или уголовно-процессуальным законодательством Республики "
            "Казахстан (подпункт 5) приложения 3 к Рекомендациям).",
            "Сведения о Вас и любая информация, которая может привести к Вашей идентификации, "
            "не раскрываются, за исключением случаев наличия решения суда или Вашего согласия, "
            "полученного в письменной форме (пункт 14 Рекомендаций).",
        ],
        "",
    )


def _materials(lang: Lang, f: LetterFacts) -> tuple[str, list[str], str]:
    question = MATTER_QUESTION[lang].get(f.matter_kind, BLANK)
    body_of = BODY_OF.get((f.matter_body, lang), BLANK)
    paragraph = BODY_PARAGRAPH.get(f.matter_body)
    if lang == "kk":
        invite = f"Ұсынымдардың {paragraph}-тармағына" if paragraph else "Ұсынымдарға"
        return (
            "Материалдарды жіберу туралы",
            [
                f"{_REF_KK} 18-тармағына сәйкес {question} мәселесі бойынша материалдарды "
                f"{date_words(f.meeting_on, 'kk', 'dat')} белгіленген {body_of} отырысында "
                "қарау үшін мемлекеттік қызмет істері жөніндегі уәкілетті органға жолдаймыз.",
                f"{invite} сәйкес мемлекеттік қызмет істері жөніндегі уәкілетті органның "
                "өкілін аталған отырысқа қатысуға шақырамыз.",
                "Материалдар отырыс өтетін күнге дейін кемінде үш жұмыс күні бұрын "
                "жіберіледі (Ұсынымдардың 18-тармағы). " + _CONFIDENTIAL_EMPLOYEE["kk"],
            ],
            "материалдар, ___ парақта, 1 данада.",
        )
    invite = f"пунктом {paragraph} Рекомендаций" if paragraph else "Рекомендациями"
    return (
        "О направлении материалов",
        [
            f"В соответствии с пунктом 18 {_REF_RU} направляем в уполномоченный орган по делам "
            f"государственной службы материалы по вопросу {question}, для рассмотрения на "
            f"заседании {body_of}, назначенном на {date_words(f.meeting_on, 'ru')}.",
            f"В соответствии с {invite} приглашаем представителя уполномоченного органа по "
            "делам государственной службы принять участие в указанном заседании.",
            "Материалы направляются не менее чем за три рабочих дня до дня заседания "
            "(пункт 18 Рекомендаций). " + _CONFIDENTIAL_EMPLOYEE["ru"],
        ],
        "материалы на ___ л. в 1 экз.",
    )


def _decision(lang: Lang, f: LetterFacts) -> tuple[str, list[str], str]:
    question = MATTER_QUESTION[lang].get(f.matter_kind, BLANK)
    document = DECISION_OF.get((f.matter_body, lang), BLANK)
    signed = SIGNED_BY.get((f.matter_body, lang), "")
    if lang == "kk":
        return (
            f"{document[:1].upper()}{document[1:]} көшірмесін жіберу туралы",
            [
                f"{_REF_KK} 19-тармағына сәйкес {question} мәселесі бойынша "
                f"{date_words(f.decided_on, 'kk', 'attr')} {document} көшірмесін мемлекеттік "
                "қызмет істері жөніндегі уәкілетті органға жолдаймыз.",
                *([signed] if signed else []),
                "Көшірме шешім қабылданған күннен бастап үш жұмыс күні ішінде жіберіледі "
                "(Ұсынымдардың 19-тармағы). " + _CONFIDENTIAL_EMPLOYEE["kk"],
            ],
            f"{document} көшірмесі, ___ парақта, 1 данада.",
        )
    return (
        f"О направлении копии {document}",
        [
            f"В соответствии с пунктом 19 {_REF_RU} направляем в уполномоченный орган по делам "
            f"государственной службы копию {document} от {date_words(f.decided_on, 'ru')} по "
            f"вопросу {question}.",
            *([signed] if signed else []),
            "Копия направляется в течение трех рабочих дней со дня принятия решения (пункт 19 "
            "Рекомендаций). " + _CONFIDENTIAL_EMPLOYEE["ru"],
        ],
        f"копия {document} на ___ л. в 1 экз.",
    )


_BUILDERS = {
    "confirmation_cover": _cover,
    "decision_notice": _notice,
    "agency_materials": _materials,
    "agency_decision": _decision,
}


def _lang(lang: str) -> Lang:
    form_text(lang)  # raises ValueError for a language the documents do not exist in
    return "ru" if lang == "ru" else "kk"


def recipient_block(recipient: Recipient | None) -> str:
    """The notice's addressee: the reporter's name, then their position and unit."""
    if recipient is None:
        return ""
    place = ", ".join(p.strip() for p in (recipient.position, recipient.unit) if p.strip())
    return "\n".join(p for p in (place, recipient.full_name.strip()) if p)


def draft(
    kind: LetterKind, lang: str, facts: LetterFacts, recipient: Recipient | None = None
) -> Letter:
    """The letter prefilled from the case: what the edit page shows before the handler edits.

    ``recipient`` is used by ``decision_notice`` only (its addressee); the outgoing number and
    date are prefilled for the cover letter from the recorded p9 step, left blank otherwise.
    """
    if kind not in _BUILDERS:
        raise ValueError(f"no letter {kind!r}")
    language = _lang(lang)
    subject, paragraphs, attachments = _BUILDERS[kind](language, facts)
    if kind == "confirmation_cover":
        addressee = ADDRESSEE[(kind, language)]
    elif kind == "decision_notice":
        addressee = recipient_block(recipient)
    else:
        addressee = ADDRESSEE[("agency", language)]
    cover = kind == "confirmation_cover"
    return Letter(
        kind=kind,
        lang=language,
        sender=facts.sender,
        outgoing_number=facts.outgoing_number if cover else "",
        outgoing_date=facts.outgoing_date if cover else None,
        addressee=addressee,
        subject=subject,
        paragraphs=tuple(paragraphs),
        attachments=attachments,
        signatory_position=SIGNATORY[language],
        signatory_name="",
    )


def body_text(letter: Letter) -> str:
    """The paragraphs as the edit page's text area holds them: a blank line between two."""
    return "\n\n".join(letter.paragraphs)


def paragraphs_of(text: str) -> tuple[str, ...]:
    """The text area's paragraphs back: split on blank lines, single line ends kept."""
    normal = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[str] = []
    current: list[str] = []
    for line in normal.split("\n"):
        if line.strip():
            current.append(line.strip())
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return tuple(blocks)
