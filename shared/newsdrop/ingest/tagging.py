"""Tags: normalizing the editor's tags, and automatic tags for an article's main subjects.

Automatic tags need no model: capitalized-phrase extraction (people, places, organizations) scored by
frequency, title and lead presence, a built-in gazetteer (countries with their demonyms and aliases, major
cities and regions, a few international organizations) and a keyword lexicon for twelve broad topics.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set

from newsdrop.models import Tag, tag_key

MAX_TAGS = 20
MAX_TAG_CHARS = 50

# --- keys and editor tags -----------------------------------------------------------------------------------


def _clean_label(raw: str) -> str:
    label = " ".join(str(raw).replace("_", " ").split()).lstrip("#").strip()
    if len(label) > MAX_TAG_CHARS:
        cut = label.rfind(" ", 0, MAX_TAG_CHARS + 1)
        label = label[: cut if cut > 0 else MAX_TAG_CHARS].rstrip(" -,;:")
    return label


def _readability(label: str) -> int:
    # Prefer a capitalized form over an all-lowercase one; spaced over "global-news" style.
    return (2 if any(ch.isupper() for ch in label) else 0) + (0 if "-" in label and " " not in label else 1)


def normalize_tags(raw: Iterable[str]) -> list[Tag]:
    """Editor tags de-duplicated by key, in first-seen order, at most 20, labels at most 50 characters.

    The label is the first-seen form, replaced by a later one only if that is more readable (capitalized
    rather than all lowercase, "Global News" rather than "global-news").
    """
    labels: dict[str, str] = {}
    for item in raw:
        if item is None:
            continue
        label = _clean_label(item)
        key = tag_key(label)
        if not key:
            continue
        if key not in labels:
            if len(labels) >= MAX_TAGS:
                continue
            labels[key] = label
        elif _readability(label) > _readability(labels[key]):
            labels[key] = label
    return [Tag(key=key, label=label) for key, label in labels.items()]


# --- gazetteer ----------------------------------------------------------------------------------------------
# Country | other names | demonyms (adjectives / peoples). Kept as text: parsed once at import (< 1 ms).
_COUNTRIES = """
Afghanistan||Afghan;Afghans
Albania||Albanian;Albanians
Algeria||Algerian;Algerians
Andorra||Andorran
Angola||Angolan;Angolans
Antigua and Barbuda||Antiguan
Argentina||Argentine;Argentinian;Argentinians;Argentines
Armenia||Armenian;Armenians
Australia||Australian;Australians;Aussie
Austria||Austrian;Austrians
Azerbaijan||Azerbaijani;Azeri
Bahamas|The Bahamas|Bahamian
Bahrain||Bahraini
Bangladesh||Bangladeshi;Bangladeshis
Barbados||Barbadian;Bajan
Belarus||Belarusian;Belarusians
Belgium||Belgian;Belgians
Belize||Belizean
Benin||Beninese
Bhutan||Bhutanese
Bolivia||Bolivian;Bolivians
Bosnia and Herzegovina|Bosnia|Bosnian;Bosnians
Botswana||Botswanan
Brazil||Brazilian;Brazilians
Brunei||Bruneian
Bulgaria||Bulgarian;Bulgarians
Burkina Faso||Burkinabe
Burundi||Burundian
Cambodia||Cambodian;Cambodians
Cameroon||Cameroonian;Cameroonians
Canada||Canadian;Canadians
Cape Verde|Cabo Verde|Cape Verdean
Central African Republic||
Chad||Chadian
Chile||Chilean;Chileans
China|PRC|Chinese
Colombia||Colombian;Colombians
Comoros||Comorian
Democratic Republic of Congo|DR Congo;DRC;Democratic Republic of the Congo|Congolese
Republic of the Congo|Congo-Brazzaville|
Costa Rica||Costa Rican
Croatia||Croatian;Croatians;Croat;Croats
Cuba||Cuban;Cubans
Cyprus||Cypriot;Cypriots
Czech Republic|Czechia|Czech;Czechs
Denmark||Danish;Dane;Danes
Djibouti||Djiboutian
Dominica||
Dominican Republic||Dominican;Dominicans
East Timor|Timor-Leste|Timorese
Ecuador||Ecuadorian;Ecuadorians
Egypt||Egyptian;Egyptians
El Salvador||Salvadoran;Salvadorans
Equatorial Guinea||
Eritrea||Eritrean;Eritreans
Estonia||Estonian;Estonians
Eswatini|Swaziland|Swazi
Ethiopia||Ethiopian;Ethiopians
Fiji||Fijian;Fijians
Finland||Finnish;Finn;Finns
France||French
Gabon||Gabonese
Gambia|The Gambia|Gambian
Georgia||Georgian;Georgians
Germany||German;Germans
Ghana||Ghanaian;Ghanaians
Greece||Greek;Greeks
Grenada||Grenadian
Guatemala||Guatemalan;Guatemalans
Guinea||Guinean
Guinea-Bissau||
Guyana||Guyanese
Haiti||Haitian;Haitians
Honduras||Honduran;Hondurans
Hungary||Hungarian;Hungarians
Iceland||Icelandic;Icelander;Icelanders
India||Indian;Indians
Indonesia||Indonesian;Indonesians
Iran||Iranian;Iranians
Iraq||Iraqi;Iraqis
Ireland|Republic of Ireland;Irish Republic|Irish
Israel||Israeli;Israelis
Italy||Italian;Italians
Ivory Coast|Cote d'Ivoire|Ivorian;Ivorians
Jamaica||Jamaican;Jamaicans
Japan||Japanese
Jordan||Jordanian;Jordanians
Kazakhstan||Kazakh;Kazakhs
Kenya||Kenyan;Kenyans
Kiribati||
Kosovo||Kosovan;Kosovar;Kosovars
Kuwait||Kuwaiti;Kuwaitis
Kyrgyzstan||Kyrgyz
Laos||Laotian
Latvia||Latvian;Latvians
Lebanon||Lebanese
Lesotho||
Liberia||Liberian;Liberians
Libya||Libyan;Libyans
Liechtenstein||
Lithuania||Lithuanian;Lithuanians
Luxembourg||Luxembourgish
Madagascar||Malagasy
Malawi||Malawian;Malawians
Malaysia||Malaysian;Malaysians
Maldives||Maldivian
Mali||Malian;Malians
Malta||Maltese
Marshall Islands||
Mauritania||Mauritanian
Mauritius||Mauritian
Mexico||Mexican;Mexicans
Micronesia||
Moldova||Moldovan;Moldovans
Monaco||Monegasque
Mongolia||Mongolian;Mongolians
Montenegro||Montenegrin
Morocco||Moroccan;Moroccans
Mozambique||Mozambican
Myanmar|Burma|Burmese
Namibia||Namibian;Namibians
Nauru||
Nepal||Nepali;Nepalese
Netherlands|Holland;The Netherlands|Dutch
New Zealand||New Zealander;New Zealanders;Kiwi;Kiwis
Nicaragua||Nicaraguan;Nicaraguans
Niger||Nigerien
Nigeria||Nigerian;Nigerians
North Korea|DPRK|North Korean;North Koreans
North Macedonia|Macedonia|Macedonian
Norway||Norwegian;Norwegians
Oman||Omani
Pakistan||Pakistani;Pakistanis
Palau||
Palestine|Palestinian territories;West Bank;Gaza;Gaza Strip|Palestinian;Palestinians
Panama||Panamanian
Papua New Guinea||
Paraguay||Paraguayan;Paraguayans
Peru||Peruvian;Peruvians
Philippines|The Philippines|Filipino;Filipinos;Philippine
Poland||Polish;Pole;Poles
Portugal||Portuguese
Qatar||Qatari;Qataris
Romania||Romanian;Romanians
Russia|Russian Federation|Russian;Russians
Rwanda||Rwandan;Rwandans
Saint Lucia|St Lucia|
Samoa||Samoan
San Marino||
Saudi Arabia||Saudi;Saudis
Senegal||Senegalese
Serbia||Serbian;Serbians;Serb;Serbs
Seychelles||
Sierra Leone||Sierra Leonean
Singapore||Singaporean;Singaporeans
Slovakia||Slovak;Slovakian
Slovenia||Slovenian;Slovene
Solomon Islands||
Somalia||Somali;Somalis
South Africa||South African;South Africans
South Korea|Korea;Republic of Korea|South Korean;South Koreans;Korean;Koreans
South Sudan||South Sudanese
Spain||Spanish;Spaniard;Spaniards
Sri Lanka||Sri Lankan;Sri Lankans
Sudan||Sudanese
Suriname||Surinamese
Sweden||Swedish;Swede;Swedes
Switzerland||Swiss
Syria||Syrian;Syrians
Taiwan||Taiwanese
Tajikistan||Tajik
Tanzania||Tanzanian;Tanzanians
Thailand||Thai
Togo||Togolese
Tonga||Tongan
Trinidad and Tobago|Trinidad|Trinidadian
Tunisia||Tunisian;Tunisians
Turkey|Turkiye;Türkiye|Turkish;Turk;Turks
Turkmenistan||Turkmen
Tuvalu||
Uganda||Ugandan;Ugandans
Ukraine||Ukrainian;Ukrainians
United Arab Emirates|UAE;Emirates|Emirati;Emiratis
United Kingdom|UK;Britain;Great Britain;U.K.|British;Briton;Britons
United States|US;USA;U.S.;U.S.A.;United States of America;America|American;Americans
Uruguay||Uruguayan;Uruguayans
Uzbekistan||Uzbek
Vanuatu||
Vatican City|Vatican;Holy See|
Venezuela||Venezuelan;Venezuelans
Vietnam|Viet Nam|Vietnamese
Yemen||Yemeni;Yemenis
Zambia||Zambian;Zambians
Zimbabwe||Zimbabwean;Zimbabweans
England||English
Scotland||Scottish;Scot;Scots
Wales||Welsh
Northern Ireland||
Hong Kong||
Greenland||Greenlandic
Puerto Rico||Puerto Rican
"""

# Major cities and regions (label as written); capitals and the world's biggest news cities.
_PLACES = """
Abu Dhabi;Abuja;Accra;Addis Ababa;Amsterdam;Ankara;Athens;Atlanta;Auckland;Baghdad;Baku;Bangalore;Bangkok;
Barcelona;Beijing;Beirut;Belfast;Belgrade;Berlin;Birmingham;Bogota;Bogotá;Boston;Brasilia;Brisbane;Bristol;
Brussels;Bucharest;Budapest;Buenos Aires;Cairo;Calcutta;Kolkata;Canberra;Cape Town;Caracas;Cardiff;Casablanca;
Chennai;Chicago;Copenhagen;Dakar;Dallas;Damascus;Delhi;New Delhi;Detroit;Dhaka;Doha;Dubai;Dublin;Durban;
Edinburgh;Frankfurt;Geneva;Glasgow;Guangzhou;Hanoi;Havana;Helsinki;Ho Chi Minh City;Houston;Islamabad;
Istanbul;Jakarta;Jerusalem;Johannesburg;Kabul;Karachi;Kathmandu;Khartoum;Kiev;Kyiv;Kinshasa;Kuala Lumpur;
Lagos;Lahore;Las Vegas;Leeds;Lima;Lisbon;Liverpool;London;Los Angeles;Luanda;Lyon;Madrid;Manchester;Manila;
Maracaibo;Marseille;Mecca;Medellin;Melbourne;Mexico City;Miami;Milan;Minsk;Mogadishu;Montevideo;Montreal;
Moscow;Mumbai;Bombay;Munich;Nairobi;Naples;New Orleans;New York;Nice;Osaka;Oslo;Ottawa;Paris;Perth;
Philadelphia;Prague;Pretoria;Pyongyang;Quito;Rabat;Rio de Janeiro;Riyadh;Rome;Rotterdam;San Francisco;
Santiago;Sao Paulo;São Paulo;Sarajevo;Seattle;Seoul;Shanghai;Shenzhen;Silicon Valley;Singapore;Sofia;
St Petersburg;Stockholm;Sydney;Taipei;Tallinn;Tehran;Tel Aviv;Tokyo;Toronto;Tripoli;Tunis;Turin;Valencia;
Vancouver;Vienna;Vilnius;Warsaw;Washington;Washington DC;Wellington;Wuhan;Yangon;Zagreb;Zurich;
Africa;Asia;Europe;North America;South America;Latin America;Central America;Middle East;Gulf;
Caribbean;Balkans;Scandinavia;Baltic;Arctic;Antarctica;Pacific;Atlantic;Mediterranean;Sahel;
Southeast Asia;South East Asia;East Africa;West Africa;Eastern Europe;Western Europe;Central Asia;
California;Texas;Florida;New York State;Ohio;Pennsylvania;Michigan;Crimea;Donbas;Kashmir;Tibet;Xinjiang;
Catalonia;Bavaria;Quebec;Ontario;Siberia;Amazon;Patagonia;Punjab;Bengal;Yorkshire;Cornwall;Kent
"""

# Organizations: alias -> label.
_ORGS = """
EU;European Union=European Union
UN;United Nations;U.N.=United Nations
Nato;NATO=Nato
IMF;International Monetary Fund=IMF
World Bank=World Bank
WHO;World Health Organization;World Health Organisation=World Health Organization
WTO;World Trade Organization;World Trade Organisation=World Trade Organization
Opec;OPEC=Opec
ECB;European Central Bank=European Central Bank
Fed;Federal Reserve;US Federal Reserve=Federal Reserve
Bank of England;BoE=Bank of England
Bank of Japan=Bank of Japan
NHS=NHS
Fifa;FIFA=Fifa
Uefa;UEFA=Uefa
IOC;International Olympic Committee=International Olympic Committee
ICC;International Cricket Council=International Cricket Council
ECB Cricket;England and Wales Cricket Board=England and Wales Cricket Board
Premier League=Premier League
Champions League=Champions League
European Commission=European Commission
European Parliament=European Parliament
Kremlin=Kremlin
White House=White House
Pentagon=Pentagon
Congress=US Congress
Senate=Senate
Supreme Court=Supreme Court
Downing Street=Downing Street
Wall Street=Wall Street
Nasa;NASA=Nasa
AI;A.I.=Artificial Intelligence
G7;G8;G20=G20
E.U.=European Union
Olympics;Olympic Games;Olympic=Olympics
Winter Olympics;Winter Olympic Games;Winter Games=Winter Olympics
Paralympics;Paralympic Games=Paralympics
Lib Dems;Lib Dem;Liberal Democrats;Liberal Democrat=Liberal Democrats
Labour Party=Labour Party
Conservative Party;Tory Party=Conservative Party
BBC=BBC
CNN=CNN
ITV=ITV
ESPN=ESPN
FBI=FBI
CIA=CIA
NSA=NSA
KGB=KGB
ACLU=ACLU
BATF;ATF=BATF
FDA=FDA
SEC=SEC
FTC=FTC
IRS=IRS
NRA=NRA
NHL=NHL
NBA=NBA
NFL=NFL
MLB=MLB
FA=Football Association
IAAF=IAAF
RFU=Rugby Football Union
IBM=IBM
BT=BT
GM=General Motors
BNP=BNP
UKIP=UKIP
SNP=SNP
OECD=OECD
CBI=CBI
TUC=TUC
FTSE=FTSE
BMW=BMW
EMI=EMI
AOL=AOL
MTV=MTV
NASA=Nasa
"""
# Adjectives and peoples that name a region or a faith: the tag is the subject, not the adjective.
_SUBJECT_ADJECTIVES = """
European;Europeans=Europe
Asian;Asians=Asia
African;Africans=Africa
Arab;Arabs;Arabic=Arab world
Jewish;Jews;Jew=Judaism
Christian;Christians=Christianity
Muslim;Muslims;Moslem;Moslems;Islamic=Islam
Catholic;Catholics=Catholic Church
Buddhist;Buddhists=Buddhism
Hindu;Hindus=Hinduism
Sikh;Sikhs=Sikhism
Mormon;Mormons=Mormonism
"""

# Topic -> keywords (lowercase; a trailing * matches any ending).
_TOPICS = {
    "Politics": "election* vote* voter* voting parliament* minister* government* party parties campaign* "
    "opposition president* presidential senator* mp mps lawmaker* legislat* coalition polls "
    "referendum policy policies democracy democratic cabinet congress prime tory tories labour "
    "conservative* liberal* republican* democrat* regime sanctions",
    "Business": "compan* firm firms shares shareholder* profit* revenue* sales investor* deal deals merger* "
    "acquisition* takeover* chief executive* ceo chairman retailer* brand* stock* market* contract* "
    "bank banks banking startup* business* corporate industry industries",
    "Economy": "econom* inflation interest rate* gdp growth recession unemployment jobless central bank "
    "budget deficit debt currency currencies dollar* euro* pound* wage* prices tariff* trade exports "
    "imports monetary fiscal borrowing tax taxes",
    "Sport": "match* goal* striker* coach* league* cup season* championship* tournament* cricket football* "
    "tennis rugby olympic* player* team* club* transfer* wicket* innings batsman batter bowler* "
    "midfielder* defender* stadium* fans final finals squad* captain* medal* athlete* race racing "
    "world cup fixture* scored score*",
    "Technology": "technolog* software internet computer* chip* chipmaker* semiconductor* ai artificial "
    "intelligence online digital app apps smartphone* broadband data cyber* hacker* algorithm* robot* "
    "gadget* device* silicon microsoft google apple processor* cloud startup* tech",
    "Science": "scien* research* researcher* study studies space nasa species physics biolog* experiment* "
    "laboratory lab discovery astronom* planet* telescope* genetic* fossil*",
    "Health": "health* hospital* patient* doctor* nhs disease* virus* vaccine* medical medicine* cancer "
    "drug* treatment* nurse* pandemic epidemic infection* surgery mental illness",
    "Entertainment": "film* movie* music* album* band* singer* actor* actress* star stars tv television "
    "series show shows box office streaming oscar* award* festival* hollywood celebrity concert* "
    "episode* netflix comedy drama chart* pop rapper* director",
    "Climate": "climate emission* carbon warming renewable* solar wind farm* fossil fuel* flood* drought* "
    "environment* pollution wildfire* heatwave* net zero biodiversity deforestation",
    "World": "foreign international embassy diplomat* refugee* united nations border* troops ceasefire "
    "summit* treaty war conflict* military humanitarian asylum migrant* rebels insurgen*",
    "Culture": "art arts artist* museum* book books novel* author* literature theatre theater exhibition* "
    "heritage gallery galleries poet* poetry painting* sculpture* opera ballet",
    "Education": "school* universit* student* teacher* education* exam* pupil* curriculum college* "
    "classroom* tuition graduate* academic*",
}


def _build_gazetteer() -> tuple[dict[str, str], dict[str, str], set[str]]:
    names: dict[str, str] = {}  # any form -> label
    demonyms: dict[str, str] = {}  # demonym -> country label
    places: set[str] = set()  # labels that are places
    for line in _COUNTRIES.strip().splitlines():
        country, aliases, peoples = (line.split("|") + ["", ""])[:3]
        places.add(country)
        names[country] = country
        for alias in filter(None, aliases.split(";")):
            names[alias] = country
        for people in filter(None, peoples.split(";")):
            demonyms[people] = country
    for place in re.split(r"\s*;\s*", _PLACES.strip().replace("\n", "")):
        if place:
            names.setdefault(place, place)
            places.add(place)
    for line in _ORGS.strip().splitlines():
        aliases, label = line.split("=")
        for alias in aliases.split(";"):
            names[alias] = label
    for line in _SUBJECT_ADJECTIVES.strip().splitlines():
        aliases, label = line.split("=")
        names.setdefault(label, label)
        for alias in aliases.split(";"):
            demonyms[alias] = label
    return names, demonyms, places


GAZETTEER, DEMONYMS, PLACES = _build_gazetteer()


def _topic_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    owner: dict[str, str] = {}
    parts: list[str] = []
    for index, (topic, words) in enumerate(_TOPICS.items()):
        group = f"t{index}"
        owner[group] = topic
        alternatives = sorted(
            (re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in words.split()),
            key=len,
            reverse=True,
        )
        parts.append(f"(?P<{group}>" + "|".join(alternatives) + ")")
    # Multi-word keywords are written with a space in the lexicon; the text is whitespace-collapsed.
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b"), owner


_TOPIC_RE, _TOPIC_GROUPS = _topic_pattern()

_words_of = str.split  # word lists written as prose

# --- entity extraction --------------------------------------------------------------------------------------

# Words that start sentences (or are dates/titles) without naming anything: they end a capitalized run.
_BREAK = set(
    """
    A An The This That These Those There Here It Its It's He She They We You I His Her Their Our Your My
    But And Or Nor So Yet For If When While Where What Which Who Whom Whose Why How As At By In On Of To
    Up Out Off Over Under After Before Since Until During Despite Although Though Because However Also
    Meanwhile Now Then Still Even Just Only Some Many Much More Most Other Others Another Each Every All
    Both Few Several No Not Yes First Second Third Last
    Such Earlier Later Today Tonight Yesterday Tomorrow Monday Tuesday Wednesday Thursday Friday Saturday
    Sunday January February March April May June July August September October November December Jan Feb
    Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Please Thanks Click Read Watch Listen Share Subscribe
    According Among Like Unlike Between Within Without Through Across Against Around About Above Below
    Never Always Often Once Twice Well Let Do Does Did Is Are Was Were Be Been Has Have Had Can Could Will
    Would Should Might Must Shall Speaking Asked Writing Having Being Given Following Instead Overall
    Unless Whether Last Next Analysts Experts Officials Sources Critics Supporters Fans Police Reuters AFP
    GMT BST EST CET Double Triple Single
    Me Him Them Us Mine Yours Ours Theirs Myself Yourself Himself Herself Itself Ourselves Themselves
    Anyone Anybody Everyone Everybody Someone Somebody Nobody Anything Everything Something Nothing None
    Yeah Hi Hello Dear Ok OK Okay Sorry Note PS Re Fw Fwd Subject From Sender Organization Summary Lines
    Regards Cheers Hmm Oh Wow Why Whatever Perhaps Maybe Actually Basically Anyway Sure True False
    With Know Gonna Wanna Said Says Get Got Make Take Give
    """.split()  # noqa: SIM905
)
# Titles before a name: dropped, and they split "Prime Minister Tony Blair" -> "Tony Blair".
_TITLES = set(
    """
    Mr Mrs Ms Miss Mx Dr Sir Dame Lord Lady Prof Professor Rev President Vice Prime Minister Secretary
    Chancellor Senator Sen Rep Gov Governor Mayor Gen Col Colonel Captain Capt Sgt Coach Manager Chief
    Executive Director Chairman Chairwoman Judge King Queen Prince Princess Pope Deputy Spokesman
    Spokeswoman Spokesperson Leader Ambassador Commissioner Officer Founder CEO Striker Midfielder
    Defender Goalkeeper Batsman Bowler Skipper Actor Actress Singer Presenter Attorney Inspector
    Detective Superintendent Constable Sheikh Emir Boss Chief's Minister's President's MSP MEP MP AM
    """.split()  # noqa: SIM905
)
# Capitalized words that are not a subject on their own (but may be part of a name: "Home Office").
_NEVER_ALONE = _BREAK | set(
    """
    Government Parliament Ministry Party Council Court Army Committee Cabinet Office Department Commons
    Lords House Home Foreign Health Education Defence Defense Finance Treasury Economy Business Sport
    Sports Technology Science Entertainment Climate World Culture Politics News Press Internet Web Online
    Year Years Week Weeks Month Months Day Days Time Times Part Group Team Club League Cup State States
    North South East West Northern Southern Eastern Western Central Christmas Easter New Old General
    Energy Trade Interior Justice Star Chair Opposition Labour Tory Tories Conservative Conservatives
    Republican Republicans Democrat Democrats Minister Ministers Union Bank Federal National International
    Royal United Council Commission Company Group Games Olympics Championship Premiership Test Series
    Mr Mrs Ms Dr Sir Lord St Oscar Oscars Grammy Bafta Awards Prize Festival Street Road City Town
    TV DVD CD PC GDP CEO MP MPs PM BST GMT EST
    """.split()  # noqa: SIM905
)
# Number words start a name mid-sentence ("the Six Nations", "Three Gorges Dam"), never a sentence.
_NUMBER_WORDS = set(_words_of("One Two Three Four Five Six Seven Eight Nine Ten"))
_NEVER_ALONE |= _NUMBER_WORDS
# A group of people after a name is not part of it: "Labour MPs" -> "Labour".
_TRAILING_GROUPS = set(
    _words_of("MPs MEPs MSPs Ministers Officials Fans Players Members Supporters Soldiers")
)
# Capitalized stop words that are never part of a name, even mid-sentence ("in May", "said I").
_NOT_NAME_PARTS = _NUMBER_WORDS | set(
    _words_of(
        """I It He She They We You His Her Their Our Your My Monday Tuesday Wednesday Thursday Friday
        Saturday Sunday January February March April May June July August September October November
        December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec GMT BST EST CET Reuters AFP Police"""
    )
)
# Party and position words that qualify a name without being part of it.
_DESCRIPTORS = set(
    _words_of(
        """Tory Tories Labour Conservative Liberal Democrat Republican Democrat Green Nationalist Unionist
        Fly-half Scrum-half Winger Prop Hooker Lock Flanker Centre Full-back Wing Forward Keeper Striker
        Vice-President Vice-Chairman Ex-President Ex-Minister Former Veteran Rookie Midfielder Defender"""
    )
)


def _is_descriptor(word: str) -> bool:
    return word in _DESCRIPTORS or word in _TITLES or word.rsplit("-", 1)[-1] in _TITLES


# Where a story was told, not what it is about.
_ATTRIBUTION = re.compile(r"^(?:BBC (?:News|Sport|Radio|Online|Scotland|Wales)\b|Press Association$)")
_CONNECTORS = {
    "of",
    "de",
    "la",
    "del",
    "da",
    "do",
    "dos",
    "van",
    "von",
    "der",
    "den",
    "al",
    "bin",
    "le",
    "du",
}
_TOKEN = re.compile(r"[^\W\d_](?:[\w&]|['\u2019.\-](?=[^\W_]))*|\d[\w.,%]*|\n|[^\w\s]")
_SENTENCE_END = set('.!?:;\n"\u201c\u2018(\u2014\u2013-\u2022*#>|')
_MAX_WORDS = 5
_VERBISH = re.compile(r"(?:ing|ed|ly)$")
# "I'm", "You'll", "Don't", "Who've": a pronoun or verb with its contraction never names a subject.
_CONTRACTION = re.compile(r"['\u2019](?:m|d|ll|ve|re|t)$|n['\u2019]t$", re.IGNORECASE)
# "U.S", "U.K", "E.U" as the token pattern leaves them: the abbreviation gets its final dot back.
_DOTTED = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")
# Codes, not subjects: "S3", "486DX", "C650", "Grade B" (unless the gazetteer knows them: "G20").
_CODE = re.compile(r"\d|(?:^|\s)[A-Za-z]$")
_ACRONYM = re.compile(r"^[A-Z0-9&\-]{2,}s?$")


class _Candidate:
    __slots__ = ("label", "count", "initial_only", "first", "in_title")

    def __init__(self, label: str, first: int):
        self.label = label
        self.count = 0.0
        self.initial_only = True
        self.first = first
        self.in_title = False


def _runs(text: str) -> Iterable[tuple[list[str], bool, int, bool]]:
    """Runs of capitalized words: (words, started a sentence, character offset, fragment).

    A fragment follows a capitalized stop word in mid-sentence ("the Just Add Monsters studio", "told
    The Times"): the stop word was part of a longer name, so what follows is only a piece of it."""
    run: list[str] = []
    run_initial = False
    run_start = 0
    pending: list[str] = []  # connectors waiting for a capitalized word ("Bank of England")
    sentence_start = True
    run_fragment = after_break = False
    for m in _TOKEN.finditer(text):
        token = m.group(0)
        first = token[0]
        if first.isalpha():
            possessive = token.endswith(("'s", "\u2019s"))
            word = token[:-2] if possessive else token.rstrip("'\u2019")
            if _DOTTED.match(word) and text[m.end() : m.end() + 1] == ".":
                word += "."
            if word[0].isupper():
                opens_sentence = word in _NUMBER_WORDS and not run and sentence_start
                if word in _TITLES or word in _BREAK or opens_sentence or _CONTRACTION.search(word):
                    if run:
                        yield run, run_initial, run_start, run_fragment
                    run, pending = [], []
                    if not sentence_start and word in _BREAK and word not in _NOT_NAME_PARTS:
                        after_break = True
                        sentence_start = False
                        continue
                elif len(run) < _MAX_WORDS:
                    if not run:
                        run_initial, run_start, run_fragment = sentence_start, m.start(), after_break
                    run.extend(pending)
                    pending = []
                    run.append(word)
                if possessive and run:
                    yield run, run_initial, run_start, run_fragment
                    run, pending = [], []
            elif run and word in _CONNECTORS and not pending:
                pending = [word]
            else:
                if run:
                    yield run, run_initial, run_start, run_fragment
                run, pending = [], []
            sentence_start = after_break = False
            continue
        after_break = False
        if run and not pending and token.isdigit() and len(token) <= 2 and len(run) < _MAX_WORDS:
            run.append(token)  # "Channel 4", "Formula 1"
            sentence_start = False
            continue
        if run:
            yield run, run_initial, run_start, run_fragment
        run, pending = [], []
        if first in _SENTENCE_END:
            sentence_start = True
    if run:
        yield run, run_initial, run_start, run_fragment


def _merge(host: _Candidate, other: _Candidate) -> None:
    host.count += other.count
    host.in_title = host.in_title or other.in_title
    host.first = min(host.first, other.first)
    host.initial_only = host.initial_only and other.initial_only


def _lower_words(text: str) -> set[str]:
    return {w for w in re.findall(r"\b[a-z][a-z'\-]+\b", text)}


def _entities(title: str, text: str) -> list[tuple[float, int, str]]:
    lowercase = _lower_words(text)
    candidates: dict[str, _Candidate] = {}
    lead_end = min(len(text), 400)

    def add(label: str, weight: float, initial: bool, offset: int) -> None:
        cand = candidates.get(label)
        if cand is None:
            cand = candidates[label] = _Candidate(label, offset)
        cand.count += weight + (0.5 if offset < lead_end and cand.count == 0 else 0)
        cand.initial_only = cand.initial_only and initial

    for words, initial, offset, fragment in _runs(text):
        if fragment:
            continue
        for word in words:
            if word in DEMONYMS:
                add(DEMONYMS[word], 0.6, False, offset)
                if len(words) == 1:
                    break
        else:
            if len(words) == 1 and words[0] in DEMONYMS:
                continue
            if len(words) >= 3 and (words[0] in DEMONYMS or words[0].lower() in lowercase):
                # "Italian Potito Starace", "Scrum-half Matt Dawson"
                words = words[1:]
            # Descriptors around a name: "Tory Neil Hamilton", "Vice-President Dick Cheney", "London Tory"
            while len(words) > 1 and _is_descriptor(words[0]):
                words = words[1:]
            while len(words) > 1 and _is_descriptor(words[-1]):
                words = words[:-1]
            while words and words[0] in _CONNECTORS:  # "(House) of Commons" -> not "of Commons"
                words = words[1:]
            if not words:
                continue
            while len(words) > 1 and words[-1] in _TRAILING_GROUPS:
                words = words[:-1]
            phrase = " ".join(words)
            if phrase in DEMONYMS:  # two-word demonyms: "South African"
                add(DEMONYMS[phrase], 0.6, False, offset)
                continue
            if initial and len(words) > 1 and (words[0].lower() in lowercase or _VERBISH.search(words[0])):
                words = words[1:]
                while words and words[0] in _CONNECTORS:
                    words = words[1:]
                phrase = " ".join(words)
                initial = False
            label = GAZETTEER.get(phrase, phrase)
            add(label, 1.0, initial and label == phrase, offset)

    title_l = title.lower()
    known = set(GAZETTEER.values())
    for cand in candidates.values():
        cand.in_title = _mentions(title_l, cand.label.lower()) or any(
            alias_l in title_l and _mentions(title_l, alias_l) for alias_l in _aliases_lower(cand.label)
        )

    # Surnames and first names join the full name: "Mr Blair" -> "Tony Blair".
    multi = sorted((c for c in candidates.values() if " " in c.label), key=lambda c: -c.count)
    for label, cand in list(candidates.items()):
        if " " in label or label in known:
            continue
        host = next((m for m in multi if label in (m.label.split()[-1], m.label.split()[0])), None)
        if host is not None:
            host.count += cand.count
            host.in_title = host.in_title or cand.in_title
            host.first = min(host.first, cand.first)
            del candidates[label]
    # Other single words: names only if seen mid-sentence (or known), and not a common word.
    for label, cand in list(candidates.items()):
        if label in known:
            continue
        if _ATTRIBUTION.match(label):
            del candidates[label]
            continue
        if _CODE.search(label) or (_ACRONYM.match(label) and not _DOTTED.match(label.rstrip("."))):
            del candidates[label]  # a code or an acronym nobody has vouched for: not a subject we can name
            continue
        if " " in label:
            continue
        common = label.lower() in lowercase or label in _NEVER_ALONE or len(label) < 2
        if cand.initial_only or common or (len(label) > 5 and _VERBISH.search(label)):
            del candidates[label]
    # One form per entity: a name that starts a longer one joins it ("Moscow Aviation" -> "Moscow
    # Aviation Institute"), and "Lib Dem" joins "Lib Dems".
    for label in sorted((c for c in candidates if " " in c), key=len):
        longer = [c for c in candidates.values() if c.label.startswith(label + " ")]
        if longer and label not in known:
            host = max(longer, key=lambda c: c.count)
            _merge(host, candidates.pop(label))
    for label in sorted(candidates, key=len):
        cand = candidates.get(label)
        plural = candidates.get(label + "s")
        if cand is not None and plural is not None:
            keep, drop = (plural, cand) if plural.count >= cand.count else (cand, plural)
            _merge(keep, candidates.pop(drop.label))

    scored: list[tuple[float, int, str]] = []
    for cand in candidates.values():
        score = cand.count + (2.0 if cand.in_title else 0.0)
        if score >= 2.0 and not (cand.label.isupper() and len(cand.label) > 6):
            scored.append((score, cand.first, cand.label))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return scored


_ALIASES_BY_LABEL: dict[str, list[str]] = {}
for _alias, _label in [*GAZETTEER.items(), *DEMONYMS.items()]:
    _ALIASES_BY_LABEL.setdefault(_label, []).append(_alias.lower())


def _aliases_lower(label: str) -> list[str]:
    return _ALIASES_BY_LABEL.get(label, [])


def _mentions(haystack: str, needle: str) -> bool:
    if not needle:
        return False
    start = haystack.find(needle)
    while start >= 0:
        end = start + len(needle)
        before = haystack[start - 1] if start else " "
        after = haystack[end] if end < len(haystack) else " "
        if not before.isalnum() and not after.isalnum():
            return True
        start = haystack.find(needle, start + 1)
    return False


def _topics(title: str, text: str, countries: int) -> list[tuple[float, str]]:
    hits: dict[str, float] = {}
    for source, weight in ((" ".join(text.lower().split()), 1.0), (title.lower(), 2.0)):
        for m in _TOPIC_RE.finditer(source):
            topic = _TOPIC_GROUPS[m.lastgroup or ""]
            hits[topic] = hits.get(topic, 0.0) + weight
    if countries >= 2:
        hits["World"] = hits.get("World", 0.0) + 2.0 * countries
    words = max(len(text.split()), 1)
    ranked = sorted(((h, t) for t, h in hits.items()), reverse=True)
    threshold = max(3.0, words / 80)  # ~6 keyword hits in a 500-word article
    chosen = [(h, t) for h, t in ranked[:2] if h >= threshold]
    if len(chosen) == 2 and chosen[1][0] < 0.5 * chosen[0][0]:
        chosen = chosen[:1]
    return chosen


_CANONICAL_LOWER = {alias.casefold(): label for alias, label in [*GAZETTEER.items(), *DEMONYMS.items()]}


def _editor_keys(editor: Iterable[str]) -> set[str]:
    """Keys an automatic tag must not repeat: each editor tag's own, and the gazetteer's name for it
    (editor "US" -> "United States", "Lib Dems" -> "Liberal Democrats")."""
    keys = set()
    for raw in editor:
        label = _clean_label(raw)
        keys.add(tag_key(label))
        canonical = _CANONICAL_LOWER.get(label.casefold()) or _CANONICAL_LOWER.get(
            label.replace("-", " ").casefold()
        )
        if canonical:
            keys.add(tag_key(canonical))
    keys.discard("")
    return keys


def auto_tags(title: str, text: str, exclude: Set[str] = frozenset(), limit: int = 6) -> list[Tag]:
    """Up to ``limit`` tags for the article's main subjects: people, places, organizations, then topics.

    ``exclude`` holds tags the editor already gave (keys or labels); matching tags are left out.
    """
    if limit <= 0:
        return []
    excluded = _editor_keys(exclude)
    entities = _entities(title, text)
    countries = sum(1 for _, _, label in entities[:8] if label in PLACES)
    topics = _topics(title, text, countries)
    result: dict[str, Tag] = {}
    topic_tags = [Tag(key=tag_key(t), label=t) for _, t in topics]
    topic_tags = [t for t in topic_tags if t.key not in excluded]
    room = max(limit - len(topic_tags), limit // 2)
    for _, _, label in entities:
        label = _clean_label(label)
        key = tag_key(label)
        surname = key.rsplit("-", 1)[-1]  # editor "Maduro" already says "Nicolás Maduro"
        if key and key not in excluded and surname not in excluded and key not in result:
            result[key] = Tag(key=key, label=label)
            if len(result) >= room:
                break
    for tag in topic_tags:
        if len(result) >= limit:
            break
        result.setdefault(tag.key, tag)
    return list(result.values())[:limit]
