"""The automatic tagger's built-in knowledge: a gazetteer (countries with their other names and demonyms,
major cities and regions, organizations), a keyword lexicon for twelve broad topics, and the word lists that
tell a name from a capitalized word. Text, parsed once at import (< 1 ms)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

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
Apple=Apple
Mac;Macintosh=Macintosh
Windows;Microsoft Windows=Windows
"""
# Adjectives and peoples that name a region or a faith: the tag is the subject, not the adjective.
_REGION_ADJECTIVES = """
European;Europeans=Europe
Asian;Asians=Asia
African;Africans=Africa
Arab;Arabs;Arabic=Arab world
"""
# A faith is named by itself or its people ("Judaism", "Jews"); "Jewish players" describes players.
_FAITH_ADJECTIVES = """
Jewish;Jews;Jew=Judaism
Christian;Christians=Christianity
Muslim;Muslims;Moslem;Moslems;Islamic=Islam
Catholic;Catholics=Catholic Church
Buddhist;Buddhists=Buddhism
Hindu;Hindus=Hinduism
Sikh;Sikhs=Sikhism
Mormon;Mormons=Mormonism
"""

# Topic -> keywords (lowercase; a trailing * matches any ending, so only where every ending is the topic's:
# not "euro*", which is also "Europe", nor "exam*", "example"; words joined by "_" count only together:
# "world_cup" is Sport, "world" alone nothing).
_TOPICS = {
    "Politics": "election* vote* voter* voting parliament* minister* government* party parties campaign* "
    "opposition president* presidential senator* mp mps lawmaker* legislat* coalition polls referendum "
    "policy policies democracy democratic cabinet congress tory tories labour conservative conservatives "
    "liberal* republican* democrat* regime sanctions",
    "Business": "company companies firm firms shares shareholder* profit* revenue* sales investor* deal "
    "deals merger* acquisition* takeover* executive* ceo chairman retailer* brand brands branding stock "
    "stocks market* contract contracts contractor contractors bank banks banking startup* business* "
    "corporate industry industries",
    "Economy": "econom* inflation interest_rate* rate* gdp growth recession unemployment jobless "
    "central_bank budget deficit debt currency currencies dollar* euro euros eurozone pound pounds wage "
    "wages prices tariff* trade exports imports monetary fiscal borrowing tax taxes",
    "Sport": "match matches matchday goal* striker* coach* league* cup season seasons championship* "
    "tournament* cricket football* tennis rugby olympic* player* team teams teammate teammates club* "
    "transfer transfers wicket* innings batsman batter bowler* midfielder* defender* stadium* fans final "
    "finals squad squads captain* medal* athlete* race racing world_cup fixture* scored score*",
    "Technology": "technolog* software internet computer* chip chips chipset chipsets chipmaker* "
    "semiconductor* ai artificial_intelligence online digital app apps smartphone* broadband data cyber* "
    "hacker* algorithm* robot* gadget* device* silicon microsoft google apple processor* cloud startup* "
    "tech mobile_phone* phones handset* console* xbox playstation gamer* gaming pc pcs laptop* web website* "
    "wireless ipod* download* computer_virus* email* spam* server* browser* hardware electronics",
    "Science": "scien* research* researcher* study studies space nasa species physics biolog* experiment* "
    "laboratory lab discovery astronom* planet* telescope* genetic* fossil*",
    "Health": "health* hospital hospitals hospitalised hospitalized patient patients doctor doctors nhs "
    "disease* virus* vaccine* medical medicine* cancer drug* treatment* nurse nurses pandemic epidemic "
    "infection* surgery mental illness",
    "Entertainment": "film* movie* music* album* band bands singer* actor* actress* star stars tv "
    "television series show shows box_office streaming oscar* award* festival* hollywood celebrity concert "
    "concerts episode* netflix comedy drama chart charts pop rapper* director",
    "Climate": "climate emission* carbon warming renewable* solar wind_farm* fossil_fuel* flood* drought* "
    "environment* pollution wildfire* heatwave* net_zero biodiversity deforestation",
    "World": "foreign international embassy diplomat* refugee* border* troops ceasefire summit* treaty war "
    "conflict* military humanitarian asylum migrant* rebels insurgen* united_nations",
    "Culture": "art arts artist* museum* book books novel novels novelist novelists author authors authored "
    "literature theatre theater exhibition* heritage gallery galleries poet* poetry painting* sculpture* "
    "opera ballet",
    "Education": "school* universit* student* teacher* education* exam exams examination examinations "
    "pupil* curriculum college* classroom* tuition graduate* academic*",
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
    for line in [*_REGION_ADJECTIVES.strip().splitlines(), *_FAITH_ADJECTIVES.strip().splitlines()]:
        aliases, label = line.split("=")
        names.setdefault(label, label)
        for alias in aliases.split(";"):
            demonyms[alias] = label
    return names, demonyms, places


GAZETTEER, DEMONYMS, PLACES = _build_gazetteer()
FAITHS = frozenset(line.split("=")[1] for line in _FAITH_ADJECTIVES.strip().splitlines())
COUNTRIES = [line.split("|")[0] for line in _COUNTRIES.strip().splitlines()]


def _topic_keywords() -> tuple[
    dict[str, int], dict[str, int], tuple[int, ...], dict[str, list[tuple[str, bool, int]]]
]:
    """(whole keyword -> its first topic, beginning ("elect*") -> its first topic, the beginnings' lengths),
    topics numbered in the order of ``TOPICS``. Looked up word by word, not as one regular expression of all
    the keywords: Python compiled that one in 36 million instructions, a twentieth of the ingest function's
    cold start (docs/benchmarks.md, cold start)."""
    whole: dict[str, int] = {}
    starts: dict[str, int] = {}
    phrases: dict[str, list[tuple[str, bool, int]]] = {}
    for index, words in enumerate(_TOPICS.values()):
        for word in words.split():
            if "_" in word:
                first, second = word.split("_")
                phrases.setdefault(first, []).append((second.rstrip("*"), second.endswith("*"), index))
            elif word.endswith("*"):
                starts.setdefault(word[:-1], index)
            else:
                whole.setdefault(word, index)
    return whole, starts, tuple(sorted({len(start) for start in starts})), phrases


TOPICS = tuple(_TOPICS)
# _PHRASES: first word -> (second word or its beginning, whether a beginning, topic): "wind" -> ("farm", True,
# Climate)
_TOPIC_OF_WORD, _TOPIC_OF_START, _START_LENGTHS, _PHRASES = _topic_keywords()
_TOPIC_WORD = re.compile(r"\w+")


def topic_hits(text: str) -> Iterator[tuple[str, str]]:
    """(topic, word) for each word of ``text`` (lower case) that is a topic's keyword or begins as one does
    ("elections": Politics), and (topic, "w1 w2") for each keyword of two words, separated by white space
    ("interest rates": Economy, one hit; the first word does not count alone). A word two topics name counts
    for the first one in ``TOPICS``."""
    nothing = len(TOPICS)
    words = list(_TOPIC_WORD.finditer(text))
    i = 0
    while i < len(words):
        m = words[i]
        word = m.group()
        i += 1
        if word in _PHRASES and i < len(words) and text[m.end() : words[i].start()].isspace():
            after = words[i].group()
            phrase = next(
                (
                    t
                    for second, begins, t in _PHRASES[word]
                    if after == second or (begins and after.startswith(second))
                ),
                None,
            )
            if phrase is not None:
                yield TOPICS[phrase], text[m.start() : words[i].end()]
                i += 1
                continue
        first = _TOPIC_OF_WORD.get(word, nothing)
        for length in _START_LENGTHS:
            if length > len(word):
                break
            first = min(first, _TOPIC_OF_START.get(word[:length], nothing))
        if first < nothing:
            yield TOPICS[first], word


_words_of = str.split  # word lists written as prose

# --- words that tell a name from a capitalized word ------------------------------------------------------

# Words that start sentences (or are dates/titles) without naming anything: they end a capitalized run.
BREAK = set(
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
    GMT BST EST CET Double Triple Single Mon Tue Tues Wed Thu Thur Thurs Fri Sat
    Me Him Them Us Mine Yours Ours Theirs Myself Yourself Himself Herself Itself Ourselves Themselves
    Anyone Anybody Everyone Everybody Someone Somebody Nobody Anything Everything Something Nothing None
    Yeah Hi Hello Dear Ok OK Okay Sorry Note PS Re Fw Fwd Subject From Sender Organization Summary Lines
    Regards Cheers Hmm Oh Wow Why Whatever Perhaps Maybe Actually Basically Anyway Sure True False
    With Know Gonna Wanna Said Says Get Got Make Take Give Thy Thou Thee Thine Ye
    """.split()  # noqa: SIM905
)
# Titles before a name: dropped, and they split "Prime Minister Tony Blair" -> "Tony Blair".
TITLES = set(
    """
    Mr Mrs Ms Miss Mx Dr Sir Dame Lord Lady Prof Professor Rev President Vice Prime Minister Secretary
    Chancellor Senator Sen Rep Gov Governor Mayor Gen Col Colonel Captain Capt Sgt Coach Manager Chief
    Executive Director Chairman Chairwoman Judge King Queen Prince Princess Pope Deputy Spokesman
    Spokeswoman Spokesperson Leader Ambassador Commissioner Officer Founder CEO Striker Midfielder
    Defender Goalkeeper Batsman Bowler Skipper Actor Actress Singer Presenter Attorney Inspector
    Detective Superintendent Constable Sheikh Emir Boss Chief's Minister's President's MSP MEP MP AM
    Fr Msgr Broadcaster Novelist Author Writer Journalist Columnist Comedian Guitarist Drummer Pianist
    Composer Conductor Producer Designer Photographer Poet Playwright Historian Economist Analyst Sprinter
    Athlete
    """.split()  # noqa: SIM905
)
# Capitalized words that are not a subject on their own (but may be part of a name: "Home Office").
NEVER_ALONE = BREAK | set(
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
NUMBER_WORDS = set(_words_of("One Two Three Four Five Six Seven Eight Nine Ten"))
NEVER_ALONE |= NUMBER_WORDS
# Words that forum posts, ads and manuals capitalize (headings, "For Sale", "Mb") without naming anything.
NEVER_ALONE |= set(
    _words_of(
        """Aside Digest Review Reviews Sale Sales Price Prices Offer Offers Wanted Condition Shipping Box Mail
        Email E-mail Phone Fax Address Contact Reply Thread Post Posting Article Section Chapter Page Pages
        Table Figure Appendix Note Notes Introduction Conclusion Update Version Release Server Client User
        Users Guide Manual Help Info Information Question Questions Answer Answers List Lists Net Mb MB Kb
        Meg Megs Laser Memory Disk Drive Card Board Monitor Printer System Systems Program Programs Software
        Hardware Museum Spot Traders Trader Scores Score Hunt Word Words College University School Earth
        Hell Heaven Father Lord Son Spirit Sir Madam Folks Friends Everybody Winter Summer Spring Fall
        Autumn Morning Evening Night Library Source Sources Reference References Example Examples Problem
        Problems Solution Issue Issues Fact Facts Point Points Idea Ideas Subject Topic Question Comments
        Comment Warning Disclaimer Biblical Scripture Scriptures Amen Truth Love Faith Grace Sin Sins
        Security Tradition Law Laws Hall Port Data Register Timer Language Paid Factory Speaker Speakers
        Player Players Enable Start Stop Exp Reset Input Output Error Errors Default File Files Directory
        Garage Assistant Neuron MHz GHz KHz Hz PhD PhDs MD BSc MSc MBA DPhil"""
    )
)
# First names alone name nobody in particular: a sign-off ("Jim"), or a person the text names in full.
FIRST_NAMES = set(
    _words_of(
        """Adam Alan Alex Andrew Andy Ann Anna Anne Bill Bob Brad Brian Bruce Carl Carol Charles Chris
        Dan Daniel Dave David Don Doug Ed Eric Frank Fred Gary George Graham Greg Harry Henry Ian Jack
        James Jane Jason Jay Jeff Jennifer Jim Joe John Jon Jonathan Joseph Ken Kevin Larry Lee Linda
        Lisa Mark Martin Mary Matt Michael Mike Nick Pat Patrick Paul Pete Peter Phil Phill Ralph Ray
        Richard Rick Rob Robert Roger Ron Russ Sam Sarah Scott Stephen Steve Steven Susan Ted Terry Tim
        Todd Tom Tony Walter William Ali Mohammed Muhammad Ahmed Hans Jean Pierre"""
    )
)
NEVER_ALONE |= FIRST_NAMES
# A group of people after a name is not part of it: "Labour MPs" -> "Labour".
TRAILING_GROUPS = set(_words_of("MPs MEPs MSPs Ministers Officials Fans Players Members Supporters Soldiers"))
# Capitalized stop words that are never part of a name, even mid-sentence ("in May", "said I").
NOT_NAME_PARTS = NUMBER_WORDS | set(
    _words_of(
        """I It He She They We You His Her Their Our Your My Monday Tuesday Wednesday Thursday Friday
        Saturday Sunday January February March April May June July August September October November
        December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec GMT BST EST CET Reuters AFP Police
        Mon Tue Tues Wed Thu Thur Thurs Fri Sat Thy Thou Thee Thine Ye"""
    )
)
# Party and position words that qualify a name without being part of it.
DESCRIPTORS = set(
    _words_of(
        """Tory Tories Labour Conservative Liberal Democrat Republican Democrat Green Nationalist Unionist
        Fly-half Scrum-half Winger Prop Hooker Lock Flanker Centre Full-back Wing Forward Keeper Striker
        Vice-President Vice-Chairman Ex-President Ex-Minister Former Veteran Rookie Midfielder Defender"""
    )
)

# --- ordinary English words -----------------------------------------------------------------------------
# A word the language uses every day ("Corner", "Covenant", "Series", "Phone") is not a name on its own just
# because a post capitalizes it in a heading. The list is wordfreq's English frequencies (CC BY-SA 4.0, see the
# file's header): its Zipf scale is log10 of uses per billion words. wordfreq folds case, so famous names are
# frequent too ("apple", "jordan"): frequency alone makes a word suspect, never wrong; the text or the gazetteer
# has to vouch for it (``tag_candidates``).
_COMMON_WORDS = Path(__file__).resolve().parents[1] / "data" / "common_words.txt"
ORDINARY_ZIPF = 3.5  # about the 15,000 most used words: "covenant" 3.7, "pancreas" 3.1, "holyrood" 2.8


@lru_cache(maxsize=1)
def _zipf() -> dict[str, float]:
    table: dict[str, float] = {}
    with _COMMON_WORDS.open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            word, zipf = line.split()
            table[word] = float(zipf)
    return table


def ordinary(word: str) -> bool:
    """An everyday English word ("corner", "Series"; case ignored)."""
    return _zipf().get(word.lower(), 0.0) >= ORDINARY_ZIPF
