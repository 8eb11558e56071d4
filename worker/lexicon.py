"""Word lists and gazetteers that the enrichment rules consult, loaded once per process.

Everything here ships with the package (``worker/data/``, see its README for sources and licences) or comes
with a pip dependency (stopwordsiso): the default enrichment needs no download at run time. Loading all of it
takes ~0.2 s, paid when a worker builds its pipeline (``enrich.warm_up``, from ``Deps.create``), not by its first
article.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

ALIAS_POPULATION = 10_000_000
PLACE_KINDS = ("country", "admin1", "city", "continent", "region")


# Han ideographs (main blocks, extension A, compatibility) and kana, as a regex class body: the scripts written
# without spaces whose every character is a word, to matching (worker/query.py) and to story shingles
# (worker/similarity.py). Only the Basic Multilingual Plane here: a class reaching past U+FFFF is searched range
# by range at every character; a caller that can afford it adds the rarer ideographs.
UNSPACED_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


@dataclass(frozen=True, slots=True)
class Place:
    """A gazetteer entry: the country it lies in ('' for regions spanning several) and how big it is."""

    country: str
    kind: str
    population: int


def words(text: str) -> frozenset[str]:
    """A word list written as one whitespace-separated string (easier to read and edit than a list literal)."""
    return frozenset(text.split())


# English verb forms that are no noun, for keywords (a keyword alone is a noun or a name). Base and present forms
# from GUM's Wikinews documents (../shared/corpus/text/gum-wikinews: tagged VERB at least twice and never NOUN or
# PROPN there, and after "the", "a", "its", "their" … in at most 2 % of their uses in the scrapinghub bodies and the
# feed items of ../shared/corpus), less the forms ending in "-ing" (gerunds are nouns: "shooting", "funding"), the
# forms ending in "-ed" (``worker.keywords`` reads them by their ending) and those news uses as nouns ("hire",
# "pick", "save", "spend", "wait", "repeat", "hurt"); then the irregular past forms of English grammar, less those
# that are nouns too ("shot", "wound", "ground", "bit", "saw", "beat", "lay"); and "generate", "generates", which
# the corpus bodies use as keywords (GUM has no use of them).
ENGLISH_VERB_FORMS = words(
    """
    accommodate achieve allow appears apply assign assume attend attract avoid belong bother buy carry celebrates
    choose collects compete consider create depend describe determine develop discusses eats educate enhance enter
    execute exist expand expect explain forget formulate grow imagine implement improve inspire join laughs leave
    lose manage perform prevent produce provide realize receive remain remove replace represent reproduce require
    reveal revisit sell send serve sit speak stay succeed suggest tolerate generate generates arose arisen ate eaten
    became began begun bent bled blew blown bore borne bought bred brought built burnt caught chose chosen clung
    crept dealt did done drew drawn drank drove driven dug fed fell fallen felt fled flew flown forbade forbidden
    forgave forgiven forgot forgotten froze frozen got gotten gave given grew grown hid hidden held kept knew known
    laid led left lent lit lost meant met overcame overtook overtaken paid ran rang rung rode ridden rose risen sang
    sung sank sunk sat sent shook shaken shone shown shrank slept slid sold sought spoke spoken spent spun stole
    stolen stood struck stuck stung strove swam swept swore sworn swung taught tore torn threw thrown told took
    taken understood undertook upheld withheld withdrew withdrawn wept woke woken won wore worn wrote written broke
    broken
    """
)
# Verbs of movement that headlines use ("Oil prices jump", "Shares tumble") and that are nouns too: never a keyword
# alone (a newsroom tags "oil prices", not "jump"), but a phrase may end in one ("price rise", "high jump").
ENGLISH_MOTION_VERBS = words(
    """
    jump jumps rise rises soar soars plunge plunges tumble tumbles slump slumps climb climbs dip dips slip slips
    sink sinks surge surges drop drops gain gains fall falls
    """
)
# English adjectives that are no noun and that news bodies gave as keywords alone (``worker.keywords`` reads most
# adjectives by their ending: "famous", "popular", "powerful", "affordable"): the comparatives and superlatives of
# the common ones, and the few that no ending gives away. Not those that are nouns too ("complex", "cold",
# "dead", "major", "short", "high", "top", "free", "open").
ENGLISH_ADJECTIVES = words(
    """
    similar massive huge wrong random happy unhappy sad angry proud afraid aware unaware ready unable unlikely
    bigger biggest larger largest smaller smallest easier easiest harder hardest faster fastest slower slowest
    longer longest shorter shortest higher highest lower lowest cheaper cheapest stronger strongest weaker weakest
    better worse worst newer newest older oldest
    """
)


# Portuguese and Spanish words that end as a verb form does (``worker.keywords`` reads gerunds "-ndo", infinitives
# "-ar/-er/-ir" and finite forms "-ou", "-aram", "-amos", "-ó", "-aron" … by their ending) and are nouns or
# adjectives: the ones the pt and es texts of ../shared/corpus (feed items and trafilatura-eval pages) use, with the
# frequent ones of news that share an ending ("mar", "lugar", "poder", "mulher", "hogar", "taller", "ramos"). A word
# with a written accent is no infinitive whatever its ending ("dólar", "líder", "açúcar", "cáncer"), so none is
# listed.
ROMANCE_NOUNS_BY_ENDING = {
    "pt": words(
        """
        mundo segundo fundo comando mando bando contrabando dividendo referendo memorando doutorando mestrando
        graduando formando vestibulando oriundo profundo rotundo vagabundo moribundo fecundo estupendo tremendo
        horrendo lindo redondo hediondo reverendo adendo
        lugar mar bar par lar altar jantar olhar poder dever prazer mulher colher talher militar
        popular familiar particular similar regular singular titular nuclear escolar solar polar lunar celular
        circular exemplar auxiliar parlamentar milenar secular vulgar muscular molecular modular consular angular
        estelar curricular salutar hangar radar avatar bem-estar elixir nadir porvir devir super linear
        ramos gramos quilogramos miligramos extremos supremos remos primos mimos
        """
    ),
    "es": words(
        """
        mundo segundo fondo comando mando bando contrabando dividendo referendo memorando doctorando oriundo
        profundo rotundo vagabundo moribundo fecundo estupendo tremendo horrendo reverendo
        lugar mar bar par hogar altar militar popular familiar particular similar regular singular titular nuclear
        escolar solar polar lunar celular circular ejemplar auxiliar parlamentar milenar secular vulgar muscular
        molecular modular consular angular estelar curricular hangar radar avatar bienestar mujer placer
        poder deber haber taller canciller alquiler elixir nadir porvir super linear
        ramos gramos kilogramos miligramos extremos supremos remos primos mimos amos reclamos
        dominó buró capó rococó landó
        """
    ),
}

# French words in "-er" (not "-ier", "-yer") that are nouns or adjectives, not infinitives (``worker.keywords`` reads
# the others as verbs): the ones the fr texts of ../shared/corpus use ("danger", "étranger", "cancer", "conseiller"),
# the frequent ones of news, and the English words French news prints ("leader", "manager", "master", "poster").
FRENCH_ER_NOUNS = words(
    """
    danger étranger cancer hiver enfer super laser amer conseiller boulanger berger verger plancher rocher boucher
    clocher dîner déjeuner goûter souper coucher cuiller reporter
    leader manager master corner poster speaker teaser thriller bestseller newsletter container cluster hacker
    sticker burger hamburger bunker docker poker joker computer server user driver partner number power water
    together better never over under after other
    """
)

# Portuguese and Spanish verb forms that no ending gives away (``worker.keywords`` reads "-ou", "-ó", "-aram", "-ndo"
# … by their ending): the present and the irregular past of the verbs news prose reports, reasons and moves with
# ("disse", "precisa", "afirma", "reclama", "sobe"; "necesita", "viene", "señala", "sube", "interrumpe") and irregular
# participles that are no noun ("revisto", "previsto", "resuelto"). stopwords-iso holds the most frequent ones already
# ("foi", "tem", "pode", "deve", "diz", "fez"; "dijo", "fue", "tiene", "puede", "hizo"); not the forms that are nouns
# too ("conta", "busca", "ajuda", "luta", "espera", "mostra", "alerta", "vino"), nor the participles that are nouns or
# open names (``LED_PARTICIPLES``: "imposto", "puesto", "Aberto da Austrália", "presidente eleito").
ROMANCE_VERB_FORMS = {
    "pt": words(
        """
        disse dizia diziam precisa precisam precisava veio deu viu afirma afirmam explica explicam destaca
        ressalta garante garantem acredita acreditam defende defendem avalia aponta apontam informa declara revela
        critica lembra admite reconhece comenta acrescenta observa argumenta pede pedem exige exigem prevê sugere
        anuncia confirma nega negam pretende pretendem tenta tentam consegue conseguem permite permitem podiam
        devia deviam poderão deverão poderia poderiam deveria deveriam sido realiza inicia abre chega segue
        apresenta recebe oferece acusa esclarece reitera insiste descarta anunciam afirmam
        reclama reclamam sobe sobem desce descem cai caem denuncia denunciam qualifica classifica considera
        consideram interrompe suspende discute discutem existe existem funciona funcionam deseja desejam vive vivem
        trabalha trabalham pensa conhece começa começam basta
        revisto previsto feito dito coberto descoberto aceito entregue suspenso extinto proposto exposto suposto
        disposto
        """
    ),
    "es": words(
        """
        necesita necesitan necesitaba viene vienen afirma afirman explica explican destaca asegura aseguran
        señala señalan indica indican añade agrega advierte pide piden exige exigen prevé sugiere anuncia confirma
        niega niegan pretende permite permiten sostiene mantiene reconoce recuerda critica cree creen debería
        deberían deberá quería quiso propuso puso supo trajo sostuvo mantuvo obtuvo realiza inicia vuelve abre llega
        presenta recibe ofrece acusa aclara reitera insiste descarta descartan amenazan anuncian advierten
        reclama reclaman sube suben cae caen califica califican interrumpe interrumpen considera consideran
        denuncian rechaza rechazan existe existen funciona funcionan
        previsto propuesto dispuesto expuesto descubierto vuelto devuelto resuelto roto satisfecho visto
        """
    ),
}

# French verbs that no ending gives away (``worker.keywords`` reads the infinitives in "-er" by their ending): the
# infinitives in "-ir", "-re" and "-oir" of the frequent verbs of news, and the finite forms of the verbs news prose
# reports and reasons with ("faut", "veut", "affirme", "estime"); stopwords-iso holds the most frequent ones already
# ("doit", "peut", "dit", "fait", "dire", "suivre"). Not the infinitives that are nouns as well ("avenir",
# "devenir", "souvenir", "plaisir", "loisir", "désir", "sourire", "rire", "pouvoir", "devoir", "savoir"), nor the
# finite forms that are ("annonce", "juge", "reste").
FRENCH_VERB_FORMS = words(
    """
    agir choisir finir réussir établir fournir garantir investir réfléchir saisir unir réunir réagir aboutir accomplir
    affaiblir agrandir durcir élargir enrichir envahir guérir nourrir remplir rétablir subir trahir définir maintenir
    obtenir venir revenir intervenir prévenir parvenir convenir soutenir retenir contenir appartenir partir sortir
    dormir servir mentir sentir ressentir courir mourir ouvrir offrir souffrir couvrir découvrir accueillir recueillir
    acquérir conquérir fuir bâtir grandir punir
    faire prendre mettre permettre produire conduire réduire construire détruire introduire traduire séduire
    instruire écrire décrire inscrire lire élire poursuivre croire boire attendre entendre vendre défendre répondre
    perdre descendre dépendre comprendre apprendre surprendre reprendre entreprendre atteindre craindre plaindre
    peindre joindre éteindre restreindre contraindre plaire taire naître paraître apparaître disparaître connaître
    reconnaître battre combattre abattre débattre rompre interrompre vaincre convaincre résoudre conclure inclure
    exclure suffire admettre promettre soumettre transmettre remettre commettre compromettre émettre vivre survivre
    accroître
    voir revoir prévoir recevoir percevoir concevoir décevoir apercevoir valoir falloir vouloir émouvoir promouvoir
    faut faudra faudrait fallait veut veulent voulait voudrait pourraient devraient pourra souhaite souhaitent estime
    estiment affirme affirment explique expliquent assure assurent rappelle souligne soulignent ajoute précise indique
    déclare confie reconnaît prévient dénonce répond regrette espère craint paraît devient prend met
    occupe occupent considère considèrent exige exigent
    """
)

# French words in "-ait" that are nouns or adjectives, not imperfects or conditionals ("donnait", "serait": verb
# forms by that ending in ``worker.keywords``).
FRENCH_AIT_NOUNS = words(
    "portrait trait attrait extrait retrait souhait bienfait forfait méfait parfait abstrait distrait"
)

# Italian verb forms that no ending gives away: the present of the verbs news prose reports and reasons with ("dice",
# "spiega", "rimane"); stopwords-iso holds the most frequent ones already ("ha", "è", "sono", "fa"). Not those that
# are nouns or adjectives as well ("conferma", "precisa", "continua", "resta", "sostegno").
ITALIAN_VERB_FORMS = words(
    """
    dice dicono spiega spiegano afferma affermano sottolinea sottolineano aggiunge aggiungono rimane rimangono
    sostiene sostengono dichiara dichiarano annuncia annunciano ricorda ricordano chiede chiedono osserva ritiene
    ritengono prevede prevedono sembra sembrano
    """
)

# Modals and auxiliaries: a word after one that ends as an infinitive or a participle does is a verb form ("foi
# aprovado", "debe ser revisado", "doit ralentir", "pour franchir", "a été nommé", "ont décidé", "deve ridurre"),
# where most of its uses follow one (``worker.keywords``). Not the prepositions before infinitives other than French
# "pour" (Spanish "para" and Portuguese "sem" come before nouns as often), nor French "a", "est" and "compte" ("a
# Paris" in capitals, "est député", "compte rendu").
VERB_LEADS = {
    "pt": words(
        """
        pode podem podia podiam poderá poderão poderia poderiam deve devem devia deviam deverá deverão deveria
        deveriam precisa precisam vai vão ia iam quer querem queria pretende pretendem tenta tentam consegue
        conseguem costuma ser sido foi foram é são será serão seria era eram estar está estão esteve estava fica
        ficou ficaram ter tem têm tinha tinham havia haviam teria terá
        """
    ),
    "es": words(
        """
        puede pueden podía podrá podrán podría podrían debe deben debía deberá deberán debería deberían necesita
        necesitan quiere quieren quería pretende pretenden intenta intentan suele suelen ser sido fue fueron es son
        será serán sería era eran estar está están estuvo estaba queda quedó quedaron ha han había habían habrá
        haber hemos he
        """
    ),
    "fr": words(
        """
        doit doivent devra devront devrait devraient devait peut peuvent pourra pourront pourrait pourraient pouvait
        veut veulent voudrait voulait faut faudra faudrait fallait va vont allait souhaite souhaitent entend
        entendent sait savent pour été ont avait avaient ayant avoir aura auront aurait
        """
    ),
    "it": words(
        """
        deve devono dovrà dovranno dovrebbe dovrebbero doveva può possono potrà potranno potrebbe potrebbero poteva
        vuole vogliono voleva vorrebbe bisogna occorre ha hanno è sono stato stata stati essere avere aveva avevano
        """
    ),
}

# Where an infinitive follows a preposition: Italian "di ridurre", "per agire", "a scorrere", "da fare"; a word that
# ends as an infinitive does after one of these in most of its uses is a verb form (the nouns "di carattere", "di
# mare" are ``ITALIAN_NOUNS_BY_ENDING``). Not French "de", "à" ("de guerre", "à l'ordre": "-re" nouns are many).
INFINITIVE_LEADS = {"it": words("di per a da")}

# French "être" before a participle: "est arrivé", "sera présenté", "sont perdues" ("a été", "ont été" are
# ``VERB_LEADS``). Only before participle endings: "est député" is a noun, and after "le" as often.
PARTICIPLE_LEADS = {"fr": words("est sera sont seront était étaient fut serait seraient soit soient")}

# What stands before a finite verb, not before a noun without an article: subject and relative pronouns ("que
# reclama", "qui occupe", "elle occupe", "che rimane"). A present form after one of these in most of its uses is a
# verb form (``worker.keywords``), whatever the word is elsewhere ("una denuncia" stays a noun where that is its use).
SUBJECT_LEADS = {
    "pt": words("que ele ela eles elas quem você"),
    "es": words("que él ella ellos ellas quien quienes"),
    "fr": words("qui il elle ils elles on"),
    "it": words("che lui lei egli ella essa esso loro chi"),
}

# Italian nouns and adjectives that end as an infinitive does ("-are", "-ere", "-ire"): after "di", "per", "a"
# (``INFINITIVE_LEADS``) they are no verb ("di carattere", "di mare", "di potere", "a parere").
ITALIAN_NOUNS_BY_ENDING = words(
    """
    carattere potere piacere dovere sapere parere mestiere cantiere quartiere bicchiere cavaliere consigliere
    ingegnere infermiere banchiere carabiniere corriere forestiere giardiniere messere genere
    mare affare altare collare esemplare militare popolare familiare particolare regolare singolare titolare
    nucleare solare lunare cellulare circolare consolare
    emire zaffire sire
    """
)

# Irregular participles that are nouns or adjectives as often ("o imposto", "un puesto", "il morto", "le produit"):
# verb forms only after a modal or an auxiliary, as the regular ones that ``worker.keywords`` reads by their ending
# ("foi visto", "fue impuesto", "ha deciso", "a été interdit").
LED_PARTICIPLES = {
    "pt": words("visto posto imposto composto gasto pago ganho preso morto impresso expresso aceso aberto eleito"),
    "es": words("puesto impuesto compuesto muerto escrito preso impreso abierto cubierto electo"),
    "fr": words("écrit construit réduit produit conduit détruit traduit interdit inscrit"),
    "it": words(
        """
        deciso preso messo chiuso scritto chiesto risposto rimasto scelto ucciso aperto morto nato vinto perso speso
        sceso letto visto
        """
    ),
}

# English verbs and prepositions that open a headline or a caption before a name ("Meet Thailand", "Inside Google",
# "Introducing Gemini", "Watch Biden"): where their only capitals are a sentence's or a headline's, they are no
# name's word and no keyword alone (``worker.keywords``). Not those that open well-known names as often ("Beyond
# Meat", "Discover Financial").
ENGLISH_OPENING_WORDS = words(
    """
    meet inside introducing presenting announcing watch listen explore exploring discovering remembering
    celebrating honoring honouring welcome welcoming unpacking understanding rethinking revisiting reimagining dear
    hey hello goodbye farewell congratulations thank thanks
    """
)

# English prepositions and function words that data/stopwords_en.txt lacks: written in a headline ("Europe looks to
# shore up own defenses amid US uncertainty") they came out as keywords. Kept apart from that list, which the entity
# rules read too (``common_words``); ``worker.keywords`` adds these to its English stop words. Not the prepositions
# that are nouns as well ("inside", "outside", "past", "plus", "minus").
ENGLISH_PREPOSITIONS = words(
    """
    amid amidst despite versus vs underneath beneath unto alongside atop notwithstanding unlike circa aside
    whichever regarding concerning excluding thru aboard
    """
)


# Words the entity rules and the keywords both read.
# Possessives inside names ("Xingtai Intermediate People's Court"), as opposed to "China's National ...".
COMMON_POSSESSIVES = frozenset(
    [
        "people's",
        "children's",
        "women's",
        "men's",
        "workers'",
        "veterans'",
        "farmers'",
        "teachers'",
        "nurses'",
        "writers'",
        "people’s",
        "children’s",
        "women’s",
        "men’s",
    ]
)
TITLES = words(
    """
    President Vice Prime Minister Secretary Chancellor Premier Senator Sen. Sen Representative Rep. Rep
    Congressman Congresswoman Governor Gov. Gov Mayor King Queen Prince Princess Pope Emperor Empress Sheikh
    Ayatollah Sultan Emir Crown General Gen. Gen Colonel Col. Major Captain Capt. Lieutenant Lt. Sergeant Sgt.
    Admiral Commander Marshal Judge Justice Chief Chairman Chairwoman Chairperson Director Commissioner Ambassador
    Officer Detective Inspector Superintendent Constable Agent Dr. Dr Doctor Mr. Mr Mrs. Mrs Ms. Ms Miss Mx
    Professor Prof. Prof Sir Dame Lord Lady Baron Baroness Duke Duchess Earl Count Countess Rev. Reverend Father
    Bishop Archbishop Cardinal Rabbi Imam Cleric Pastor Saint Coach Manager Speaker Leader Spokesman Spokeswoman
    Attorney Deputy Assistant Acting Former Foreign Defense Defence Finance Interior Health Education Trade
    Justice Agriculture Transport Energy Labor Labour Economy Home State Executive CEO COO CFO Chairman
    President-elect Dictator Police Minister-President Sheriff Senior Junior Senators Presidents Ministers
    Secretary-General Director-General Deputy-Director"""
)
# Title words that only make a title together with a following stronger one ("Foreign Minister"), so a name
# that merely starts with them ("Home Office", "State Department") is left alone.
WEAK_TITLES = words(
    """
    Foreign Defense Defence Finance Interior Health Education Trade Justice Agriculture Transport Energy Labor
    Labour Economy Home State Executive Former Acting Deputy Assistant Senior Junior Vice Crown Chief Police
    Count Major Father Saint Agent Officer Leader Manager Coach Speaker Director Marshal Commander"""
)
ORG_HEADS = words(
    """
    Inc Inc. Corp Corp. Corporation Co. Company Companies Ltd Ltd. LLC PLC plc GmbH AG SA Group Holdings
    Bank Bancorp Association Associations Society Institute Institution Foundation Fund Trust University College
    School Academy Commission Committee Council Court Tribunal Ministry Department Agency Bureau Office Service
    Services Administration Authority Board Assembly Parliament Congress Senate Cabinet Government Party
    Movement Front Union League Federation Confederation Alliance Coalition Organization Organisation
    Network Club Team Army Navy Force Forces Guard Police Corps Command Brigade Regiment Church
    Laboratory Laboratories Labs Airlines Airways Air Motors Technologies
    Technology Systems Software Electronics Industries Pharmaceuticals Energy Oil Petroleum Telecom
    Communications Media News Times Post Journal Herald Tribune Gazette Review Press Daily Weekly Magazine
    Channel Radio Television TV Studios Records Entertainment Games Foods Group FC Cooperative Exchange
    Reserve Secretariat Inquiry Mission Police Taskforce Federal Commission Directorate Unit Brotherhood
    Departments Ministries Agencies Councils Committees Parties Unions Universities Instruments Project Study
    Library Orchestra Theatre Theater Symposium Consortium Partnership Initiative Project
    Campaign Institute Observatory Conference Fellowship Agency Assembly Parliament Senate Junta"""
)
PLACE_HEADS = words(
    """
    River Mountains Mountain Mount Lake Lakes Island Islands Isle Isles Sea Ocean Valley Bay Gulf Strait
    Straits Peninsula Desert Canyon Beach Coast Highlands Hills Falls Plain Plains Basin Delta Glacier Reef
    Street St Avenue Ave Road Rd Boulevard Square Plaza Park Bridge Tunnel Airport Station Port Harbour Harbor
    Stadium Arena Hall Tower Palace Castle Cathedral Province County District Region Prefecture Territory
    Township Village Town City Borough Parish Oblast Governorate Municipality Kingdom Republic Emirate
    Heights Springs Forest Wood Field Fields Square Circle Canal Lane Way Drive Quarter Camp Base Zone
    Crossing Memorial Pass Center Centre Museum Gallery Complex Facility Mosque Temple Hospital Clinic
    Cemetery Prison Mall Market Terminal Hotel"""
)


def _lines(name: str) -> list[str]:
    text = resources.files("worker.data").joinpath(name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


# Rank: an alias or a country beats a province, which beats a city of the same name ("Georgia" → GE, "Washington"
# → the state's country either way, "Hong Kong" → HK).
_KIND_RANK = {"country": 0, "continent": 1, "region": 1, "admin1": 2, "city": 3}


@functools.cache
def places() -> dict[str, Place]:
    """Place name (as written, case-sensitive) → its best gazetteer entry."""
    table: dict[str, Place] = {}

    def add(name: str, place: Place, override: bool = False) -> None:
        old = table.get(name)
        if (
            override
            or old is None
            or _KIND_RANK[place.kind] < _KIND_RANK[old.kind]
            or (old.kind == place.kind and place.population > old.population)
        ):
            table[name] = place

    for line in _lines("places.tsv"):
        name, cc, kind, population = line.split("\t")
        add(name, Place(cc, kind, int(population)))
    for line in _lines("place_aliases.tsv"):
        name, cc, kind = line.split("\t")
        # Aliases are picked by hand for being well known: rank them with the biggest cities.
        add(name, Place(cc, kind, ALIAS_POPULATION if kind == "city" else 0), override=True)
    # Countries as other languages written in Latin script name them ("Deutschland", "Alemania", "Niemcy"): the
    # entity rules find them like any gazetteer country, filed under the English name ("Germany"; population 0
    # keeps them out of ``entities._country_names``). The table holds no name the gazetteer has.
    for name, cc, _ in _country_name_rows():
        if _latin_name(name) and name not in table:
            table[name] = Place(cc, "country", 0)
    return table


@functools.cache
def _country_name_rows() -> list[list[str]]:
    return [line.split("\t") for line in _lines("country_names.tsv")]


def _latin_name(name: str) -> bool:
    return name[0] < "\u0250"  # Basic Latin to Latin Extended-B: the scripts the entity rules read


# Russian and Ukrainian decline country names ("Германия", "в Германии", "Германию"): the name without its last
# vowel, soft sign or "й" matches every case ("Германи", "Кита" for "Китай", "Китая", "Китае").
_SLAVIC_ENDINGS = "аяоеиыйьуюії"


@functools.cache
def country_names_in_text(language: str) -> tuple[tuple[str, str], ...]:
    """(what to look for in the text, ISO alpha-2) for a language whose script the entity rules do not read
    (Russian, Arabic, Chinese, …): CLDR's country names, stemmed for Russian and Ukrainian; () for the others."""
    found: dict[str, str] = {}
    for name, cc, lang in _country_name_rows():
        if lang != language or _latin_name(name):
            continue
        if language in ("ru", "uk") and len(name) > 4 and name[-1] in _SLAVIC_ENDINGS:
            name = name[:-1]
        found.setdefault(name, cc)
    return tuple(found.items())


@functools.cache
def calendar_words(language: str | None) -> frozenset[str]:
    """Lower-case month and weekday names and the words for day, week, month and year of ``language`` (none for
    English, whose stop words hold them): no keywords alone."""
    for line in _lines("calendar_words.tsv"):
        code, text = line.split("\t")
        if code == language:
            return frozenset(text.split())
    return frozenset()


@functools.cache
def us_states() -> frozenset[str]:
    """The names of the US states and D.C., read from the gazetteer's rows (``places`` keeps one entry per name, and
    "Georgia" there is the country)."""
    rows = (line.split("\t") for line in _lines("places.tsv"))
    return frozenset(name for name, cc, kind, _ in rows if cc == "US" and kind == "admin1")


@functools.cache
def demonyms() -> dict[str, str]:
    """Demonym ("Chinese") → ISO alpha-2, only for those that name one country."""
    pairs = (line.split("\t", 1) for line in _lines("demonyms.tsv"))
    return {word: code for word, code in pairs}


@functools.cache
def organizations() -> frozenset[str]:
    """Organisations news names without a telling word (agencies, companies, parties)."""
    return frozenset(_lines("organizations.txt"))


@functools.cache
def stopwords(language: str) -> frozenset[str]:
    """Lower-case stop words for keywords; ours for English, stopwords-iso for the rest (empty if unknown)."""
    if language == "en":
        return frozenset(word for line in _lines("stopwords_en.txt") for word in line.split())
    import stopwordsiso

    if not stopwordsiso.has_lang(language):
        return frozenset()
    return frozenset(word.lower() for word in stopwordsiso.stopwords(language))


@functools.cache
def common_words() -> frozenset[str]:
    """Lower-case English function and common words: a capital on one of these is the sentence's, not a name's."""
    import stopwordsiso

    return stopwords("en") | frozenset(stopwordsiso.stopwords("en")) - _NOT_COMMON


# stopwords-iso's English list carries country codes and a few words that are names in news.
_NOT_COMMON = frozenset({"us", "uk", "cn", "ca", "de", "fr", "il", "in", "it", "la", "ma", "me", "mr", "ms"})


@functools.cache
def given_names() -> frozenset[str]:
    """Given names (Census 1990 plus international), minus words that are more often not a name."""
    blocked = common_words() | {
        name.lower() for name, place in places().items() if place.kind in ("country", "continent")
    }
    return frozenset(name for name in _lines("given_names.txt") if name.lower() not in blocked)


@functools.cache
def country_given_names() -> frozenset[str]:
    """Countries that are also given names ("Chad", "Jordan", "Georgia"): left out of ``given_names``, where they
    would make "Chad" alone a person, but before a surname ("Chad Wolf") they are one."""
    # Of the twelve countries in given_names.txt, those that name people in English news far more than "China"
    # ("China Grove", a song), "France", "America" or "Argentina" do.
    people = {"Chad", "Georgia", "India", "Israel", "Jordan", "Kenya"}
    return frozenset(name for name in _lines("given_names.txt") if name in people and name in places())


@functools.cache
def surnames() -> frozenset[str]:
    """Frequent surnames (Census 1990), minus common words: a weak sign that a capitalised pair is a person."""
    common = common_words()
    return frozenset(name for name in _lines("surnames.txt") if name.lower() not in common)
