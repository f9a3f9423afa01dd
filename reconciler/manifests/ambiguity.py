"""How a backtracking matcher can blow up on a pattern: its degree of ambiguity, statically.

A backtracking matcher (Python's ``re``, JavaScript's ``RegExp``) that fails to match tries
every way the pattern can split the text. That number of ways is the pattern's ambiguity
(Weideman et al., "Analyzing Matching Time Behavior of Backtracking Regular Expression
Matchers by Using Ambiguity of NFA", 2016): exponential ambiguity (EDA) means exponential
time, polynomial ambiguity (IDA) of degree d means time n**(d+1) per start position, one more
for an unanchored search. We decide it on the pattern's position automaton (Glushkov), built
from the parse tree Python's engine itself runs (``sre_parse``, after its own rewrites:
``a|a`` becomes ``a(?:|)``, whose two empty branches are exactly what backtracks):

- edges carry how many distinct paths (through empty branches) lead along them, so an
  ambiguity hidden in epsilon paths counts, not only ambiguity between characters;
- EDA: in the product of the automaton with itself, a cycle through a diagonal state that
  leaves the diagonal (or takes two parallel edges);
- IDA: states p != q with a word w that loops p, leads p to q and loops q (the triple
  product); chained over the automaton's loops this gives the degree;
- ambiguity only costs when the match can still fail after it: a loop whose states can all
  end the match (``(a|a)*`` alone) succeeds at once and is not counted;
- ``x{m,n}`` is unrolled when small and alone; nested inside (or around) another repetition
  it counts as ``x+`` (``(a{1,10}){1,10}b`` splits as ``(a+)+b`` does, within its bounds);
- character classes are compared on a sample alphabet: every character the pattern names,
  each range's ends, and representatives of digits, letters, spaces and the rest.

Pure, no I/O; bounded work (``MAX_POSITIONS``, ``MAX_STEPS``): a pattern too large to decide
is reported as such, never guessed safe.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Iterable
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as sc
    import sre_parse

MAX_POSITIONS = 400
MAX_STEPS = 400_000
_UNROLL = 8  # x{m,n} with n <= this, not nested in another repetition, is unrolled exactly
_END = "\uffff"  # the virtual character only an end anchor matches
_SAMPLES = ("0597aAzZ_ \t\n\r\x0b-.@+#/:,;!?'\"()[]{}\\$^*|~&%=<>\x00"
            "\u00e9\u00df\u0663\u00a0\u2028\u4e2d")


class TooComplex(Exception):
    """The pattern is too large to decide within the bounds."""


@dataclasses.dataclass(frozen=True)
class Verdict:
    """``exponential``: EDA; ``degree``: time per search is about n**degree (1: linear)."""

    exponential: bool
    degree: int
    witness: str = ""


Mult = dict[int, int]


def _add(into: Mult, key: int, count: int) -> None:
    if count:
        into[key] = min(2, into.get(key, 0) + count)


@dataclasses.dataclass
class _Frag:
    first: Mult
    last: Mult
    null: int  # empty derivations (0, 1, or 2 meaning "two or more")


class _Builder:
    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern
        self.flags = flags
        self.items: list[tuple[Any, Any, int]] = []  # (op, argument, flags) per position
        self.follow: list[Mult] = []

    def position(self, op: Any, av: Any, flags: int) -> _Frag:
        if len(self.items) >= MAX_POSITIONS:
            raise TooComplex(f"more than {MAX_POSITIONS} positions")
        index = len(self.items)
        self.items.append((op, av, flags))
        self.follow.append({})
        return _Frag({index: 1}, {index: 1}, 0)

    def link(self, last: Mult, first: Mult) -> None:
        for p, a in last.items():
            for q, b in first.items():
                _add(self.follow[p], q, a * b)

    def sequence(self, items: Iterable[Any], flags: int, nested: bool) -> _Frag:
        frag = _Frag({}, {}, 1)
        for op, av in items:
            frag = self.concat(frag, self.node(op, av, flags, nested))
        return frag

    def concat(self, a: _Frag, b: _Frag) -> _Frag:
        self.link(a.last, b.first)
        first = dict(a.first)
        for q, n in b.first.items():
            _add(first, q, a.null * n)
        last = dict(b.last)
        for p, n in a.last.items():
            _add(last, p, b.null * n)
        return _Frag(first, last, min(2, a.null * b.null))

    def node(self, op: Any, av: Any, flags: int, nested: bool) -> _Frag:
        if op in (sc.LITERAL, sc.NOT_LITERAL, sc.ANY, sc.IN):
            return self.position(op, av, flags)
        if op is sc.AT:
            if av in (sc.AT_END, sc.AT_END_STRING):
                return self.position(sc.AT, av, flags)
            return _Frag({}, {}, 1)  # start anchors and word boundaries: zero-width
        if op is sc.BRANCH:
            merged = _Frag({}, {}, 0)
            for alternative in av[1]:
                frag = self.sequence(alternative, flags, nested)
                for q, n in frag.first.items():
                    _add(merged.first, q, n)
                for p, n in frag.last.items():
                    _add(merged.last, p, n)
                merged.null = min(2, merged.null + frag.null)
            return merged
        if op is sc.SUBPATTERN:
            _group, add_flags, del_flags, items = av
            return self.sequence(items, (flags | add_flags) & ~del_flags, nested)
        if op is getattr(sc, "ATOMIC_GROUP", None):
            return self.sequence(av, flags, nested)
        if op in _REPEATS:
            return self.repeat(av, flags, nested)
        return _Frag({}, {}, 1)  # lookaround and backreferences never get here (RE2 refuses)

    def repeat(self, av: Any, flags: int, nested: bool) -> _Frag:
        low, high, items = av
        inner = list(items)
        around = nested or _has_repeat(inner)
        if high == 1:
            frag = self.sequence(inner, flags, nested)
            return _Frag(frag.first, frag.last, min(2, frag.null + (1 if low == 0 else 0)))
        if high is not sc.MAXREPEAT and high <= _UNROLL and not around:
            frag = _Frag({}, {}, 1)
            for copy in range(high):
                part = self.sequence(inner, flags, True)
                if copy >= low:
                    part = _Frag(part.first, part.last, min(2, part.null + 1))
                frag = self.concat(frag, part)
            return frag
        body = self.sequence(inner, flags, True)
        self.link(body.last, body.first)  # the loop back
        null = 1 if low == 0 else body.null
        return _Frag(dict(body.first), dict(body.last), null)


_REPEATS = tuple(getattr(sc, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
                 if hasattr(sc, name))


def _has_repeat(items: Iterable[Any]) -> bool:
    stack = list(items)
    while stack:
        op, av = stack.pop()
        if op in _REPEATS:
            if av[1] is sc.MAXREPEAT or av[1] > 1:
                return True
            stack.extend(av[2])
        elif op is sc.SUBPATTERN:
            stack.extend(av[3])
        elif op is sc.BRANCH:
            for alternative in av[1]:
                stack.extend(alternative)
    return False


_CATEGORIES = {
    sc.CATEGORY_DIGIT: re.compile(r"\d"), sc.CATEGORY_NOT_DIGIT: re.compile(r"\D"),
    sc.CATEGORY_SPACE: re.compile(r"\s"), sc.CATEGORY_NOT_SPACE: re.compile(r"\S"),
    sc.CATEGORY_WORD: re.compile(r"\w"), sc.CATEGORY_NOT_WORD: re.compile(r"\W"),
}


def _in_set(members: list[tuple[Any, Any]], char: str) -> bool:
    negate = False
    code = ord(char)
    found = False
    for op, av in members:
        if op is sc.NEGATE:
            negate = True
        elif op is sc.LITERAL:
            found = found or code == av
        elif op is sc.RANGE:
            found = found or av[0] <= code <= av[1]
        elif op is sc.CATEGORY:
            matcher = _CATEGORIES.get(av)
            found = found or (matcher is not None and matcher.match(char) is not None)
    return found != negate


def _matches(op: Any, av: Any, flags: int, char: str) -> bool:
    if op is sc.AT:
        return char == _END
    if char == _END:
        return False
    variants = {char}
    if flags & sc.SRE_FLAG_IGNORECASE:
        variants |= {v for v in (char.lower(), char.upper()) if len(v) == 1}
    for each in variants:
        if op is sc.LITERAL and ord(each) == av:
            return True
        if op is sc.NOT_LITERAL and ord(each) != av:
            return True
        if op is sc.ANY and (each != "\n" or flags & sc.SRE_FLAG_DOTALL):
            return True
        if op is sc.IN and _in_set(av, each):
            return True
    return False


def _alphabet(items: list[tuple[Any, Any, int]]) -> list[str]:
    chars = set(_SAMPLES) | {_END}
    for op, av, _flags in items:
        if op in (sc.LITERAL, sc.NOT_LITERAL):
            chars.add(chr(av))
        elif op is sc.IN:
            for member, value in av:
                if member is sc.LITERAL:
                    chars.add(chr(value))
                elif member is sc.RANGE:
                    for code in (value[0], value[1], value[0] - 1, value[1] + 1):
                        if 0 <= code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                            chars.add(chr(code))
    extra = {c.lower() for c in chars} | {c.upper() for c in chars}
    return sorted(c for c in chars | extra if len(c) == 1)


class _Graph:
    """The position automaton: successors and each position's class as a bit mask."""

    def __init__(self, builder: _Builder, whole: _Frag) -> None:
        alphabet = self.alphabet = _alphabet(builder.items)
        self.size = len(builder.items)
        self.mask = [
            sum(1 << i for i, char in enumerate(alphabet) if _matches(op, av, flags, char))
            for op, av, flags in builder.items
        ]
        self.succ = [
            [(q, n) for q, n in builder.follow[p].items() if self.mask[q]]
            for p in range(self.size)
        ]
        self.final = set(whole.last)
        self.steps = 0

    def tick(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise TooComplex(f"more than {MAX_STEPS} steps")


def _sccs(size: int, edges: list[list[int]]) -> list[int]:
    """Component id of every node (Tarjan, iterative)."""
    index = [-1] * size
    low = [0] * size
    comp = [-1] * size
    on_stack = [False] * size
    stack: list[int] = []
    counter = 0
    comps = 0
    for root in range(size):
        if index[root] != -1:
            continue
        work = [(root, 0)]
        while work:
            node, at = work.pop()
            if at == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            recursed = False
            for i in range(at, len(edges[node])):
                nxt = edges[node][i]
                if index[nxt] == -1:
                    work.append((node, i + 1))
                    work.append((nxt, 0))
                    recursed = True
                    break
                if on_stack[nxt]:
                    low[node] = min(low[node], index[nxt])
            if recursed:
                continue
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    comp[member] = comps
                    if member == node:
                        break
                comps += 1
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return comp


def _exponential(graph: _Graph) -> str | None:
    """A state with two distinct cycles on one word, if there is one."""
    size = graph.size
    ids: dict[tuple[int, int], int] = {}
    pairs: list[tuple[int, int]] = []
    edges: list[list[int]] = []
    divergent: list[tuple[int, int]] = []

    def node(p: int, q: int) -> int:
        key = (p, q) if p <= q else (q, p)
        found = ids.get(key)
        if found is None:
            found = ids[key] = len(pairs)
            pairs.append(key)
            edges.append([])
        return found

    for start in range(size):
        node(start, start)
    done = 0
    while done < len(pairs):
        p, q = pairs[done]
        here = done
        done += 1
        for p2, n in graph.succ[p]:
            for q2, m in graph.succ[q]:
                graph.tick()
                if graph.mask[p2] & graph.mask[q2]:
                    target = node(p2, q2)
                    edges[here].append(target)
                    if p == q and p2 == q2 and n * m >= 2 and n >= 2:
                        divergent.append((here, target))
    comp = _sccs(len(pairs), edges)
    cyclic = {comp[a] for a, targets in enumerate(edges) for b in targets if comp[a] == comp[b]}
    off_diagonal = {comp[i] for i, (p, q) in enumerate(pairs) if p != q}
    for i, (p, q) in enumerate(pairs):
        if p == q and p not in graph.final and comp[i] in cyclic and comp[i] in off_diagonal:
            return _describe(graph, p)
    for a, b in divergent:
        p = pairs[a][0]
        if comp[a] == comp[b] and p not in graph.final:
            return _describe(graph, p)
    return None


def _describe(graph: _Graph, position: int) -> str:
    """A character the ambiguous loop repeats, for the message."""
    mask = graph.mask[position]
    for i, char in enumerate(graph.alphabet):
        if mask >> i & 1 and char.isprintable() and char != _END:
            return repr(char)
    return "one character"


def _loops(graph: _Graph) -> list[set[int]]:
    edges = [[q for q, _ in graph.succ[p]] for p in range(graph.size)]
    comp = _sccs(graph.size, edges)
    members: dict[int, set[int]] = {}
    for p in range(graph.size):
        members.setdefault(comp[p], set()).add(p)
    looping = [c for c, ms in members.items()
               if len(ms) > 1 or any(q == p for p in ms for q in edges[p])]
    return [members[c] for c in looping]


def _polynomial_pair(graph: _Graph, p: int, q: int) -> bool:
    """A word that loops p, leads p to q and loops q (the triple product, from (p,p,q))."""
    seen = {(p, p, q)}
    todo = [(p, p, q)]
    while todo:
        a, b, c = todo.pop()
        for a2, _ in graph.succ[a]:
            ma = graph.mask[a2]
            for b2, _ in graph.succ[b]:
                mab = ma & graph.mask[b2]
                if not mab:
                    continue
                for c2, _ in graph.succ[c]:
                    graph.tick()
                    if mab & graph.mask[c2]:
                        state = (a2, b2, c2)
                        if state == (p, q, q):
                            return True
                        if state not in seen:
                            seen.add(state)
                            todo.append(state)
    return False


def _degree(graph: _Graph) -> int:
    """1 + the longest chain of loops, each polynomially ambiguous with the next, that ends
    where the match can still fail (at a state that cannot end the match)."""
    loops = _loops(graph)
    reach = _reachable(graph)
    links: dict[int, set[int]] = {i: set() for i in range(len(loops))}
    for i, left in enumerate(loops):
        for j, right in enumerate(loops):
            if i == j:
                continue
            if not any(reach[p] & right for p in left):
                continue
            if any(_polynomial_pair(graph, p, q) for p in left for q in right if q in reach[p]):
                links[i].add(j)
    fails = {i for i, ms in enumerate(loops) if any(p not in graph.final for p in ms)}
    best: dict[int, int] = {}

    def longest(i: int) -> int:
        """Links in the longest chain from loop ``i`` to a loop after which the match can
        fail; -1 when there is none. The links are acyclic (a cycle would be EDA)."""
        if i in best:
            return best[i]
        best[i] = -1
        value = 0 if i in fails else -1
        for j in links[i]:
            after = longest(j)
            if after >= 0:
                value = max(value, 1 + after)
        best[i] = value
        return value

    return 1 + max((longest(i) for i in range(len(loops))), default=0)


def _reachable(graph: _Graph) -> list[set[int]]:
    reach: list[set[int]] = []
    for start in range(graph.size):
        seen: set[int] = set()
        todo = [q for q, _ in graph.succ[start]]
        while todo:
            q = todo.pop()
            if q not in seen:
                seen.add(q)
                todo.extend(r for r, _ in graph.succ[q])
        reach.append(seen)
    return reach


def analyse(tree: Any, pattern: str) -> Verdict:
    """The verdict for a parsed pattern (``sre_parse.parse(pattern)``); ``TooComplex`` when
    it cannot be decided within the bounds."""
    flags = tree.state.flags
    builder = _Builder(pattern, flags)
    whole = builder.sequence(list(tree), flags, False)
    graph = _Graph(builder, whole)
    items = list(tree)
    anchored = bool(items) and items[0] == (sc.AT, sc.AT_BEGINNING)
    witness = _exponential(graph)
    if witness is not None:
        return Verdict(True, 0, witness)
    per_start = _degree(graph)
    return Verdict(False, per_start + (0 if anchored else 1))


def parse(pattern: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return sre_parse.parse(pattern)
