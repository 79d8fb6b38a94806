"""Stop words per language, as normalised lowercase surface forms (ё folded to е).

The uk and ru lists hold inflected forms because stop words are removed *before* lemmatising
(issue 4: that halves query CPU, and the dictionary is never asked about "що" or "это").
They are deliberately short: function words only, no numerals or content words, so that a
query such as "два роки" or "після війни" keeps its meaning. The English list is Lucene's
`EnglishAnalyzer` default set plus the question words (what, who, when ...), which carry
nothing in question-like queries.
"""

from __future__ import annotations

from searchlib.model import Lang

__all__ = ["STOP_WORDS"]

_UK = """
а аби або адже але б би бо буде будемо будете будеш буду будуть був була були було бути
в вам вас ви від він вона вони воно все всі всього всю вся втім вже ваш ваша ваше ваші
де для до дуже є ж же з за зі знову із й його її їй їм їх їхній їхня їхнє їхні
коли котрий котра котре котрі кожен кожна кожне кожні
лише між мене мені ми мій мов моя моє мої на над нам нас наш наша наше наші не неї нею
ним ними них ні ніж нього ній нім нібито о об от ось отже перед по поки при про проте
саме свій своє своя свої свого своєї своїх своїм своїми собі себе собою та так також
там тебе те тепер ти ті тих то тобі тобто того тоді той тому тут у уже усі усе усього
і хоч хоча хто це цей ця ці цього цієї цим цими цих цю чи чим чого чому що щоб щодо як
яка який яке які якого якої яких якому якій яким якими якщо яку ці ще тощо зокрема
скільки навіщо куди звідки котрого котрої котрих
""".split()

_RU = """
а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да
даже для до его ее ей ему если есть еще же за здесь и из или им ими их к как какая
какой когда кто ли либо между меня мне мной мы на над нас наш него нее ней нем ним
ними них но ну о об однако он она они оно от перед по под после при про с сам сама
само свой своего своей свои своих со так также такой там тебе тем то тогда того тоже
той только том тот ты у уж уже хотя чего чей чем что чтобы чье чья эта эти этим этих
это этого этой этом этот эту я ведь вдруг вон всё её ещё ни нибудь себе себя собой
который которая которое которые которого которой которых которому котором которым
сколько почему зачем куда откуда какие каких каким какими каком какую какого какой какое
""".split()

_EN = """
a an and are as at be but by for if in into is it no not of on or such that the their
then there these they this to was will with
what which who whom whose when where why how
""".split()

STOP_WORDS: dict[Lang, frozenset[str]] = {
    Lang.UK: frozenset(_UK),
    Lang.RU: frozenset(w.replace("ё", "е") for w in _RU),
    Lang.EN: frozenset(_EN),
}
