"""Make the SVG that Qt's QSvgGenerator writes render the same in librsvg, ImageMagick and browsers.

Qt draws a curve in data coordinates under a group transform such as ``matrix(150,0,0,-78,…)`` and keeps its pen
thin with ``vector-effect="non-scaling-stroke"``. Renderers that ignore that property (librsvg before 2.52,
ImageMagick) scale the 2-pixel pen by 150 and paint a huge filled-looking band over the plot. So every stroked
shape drawn with such a pen gets the group's transform applied to its own coordinates (the group then keeps only
what cannot be baked), and the property goes away: a stroke width then means the same in every renderer.

Qt names the font family as it was asked for (``"Sans Serif"``), which browsers do not know and draw with a serif
face; the family is replaced by the face Qt really used followed by a CSS generic family.

Pure Python on the SVG text: no Qt needed, so tests can feed it hand-written SVG.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_NON_SCALING = "non-scaling-stroke"
_MATRIX = re.compile(r"^\s*matrix\(([^)]*)\)\s*$")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PATH_TOKEN = re.compile(rf"[A-Za-z]|{_NUMBER}")
# Qt's path data uses absolute moves, lines and cubic curves only; anything else is left alone.
_PAIRS_PER_COMMAND = {"M": 1, "L": 1, "C": 3, "Z": 0}

Matrix = tuple[float, float, float, float, float, float]  # SVG's a b c d e f: x' = a x + c y + e, y' = b x + d y + f
FontResolver = Callable[[str], str]


def _q(tag: str) -> str:
    return f"{{{SVG_NS}}}{tag}"


def _fmt(v: float) -> str:
    text = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _parse_matrix(text: str | None) -> Matrix | None:
    m = _MATRIX.match(text or "")
    if not m:
        return None
    parts = [float(p) for p in re.split(r"[\s,]+", m.group(1).strip()) if p]
    if len(parts) != 6:
        return None
    return (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _bake_path(d: str, m: Matrix) -> str | None:
    tokens = _PATH_TOKEN.findall(d)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        cmd = tokens[i]
        if cmd not in _PAIRS_PER_COMMAND:
            return None
        i += 1
        out.append(cmd)
        pairs = _PAIRS_PER_COMMAND[cmd]
        if pairs == 0:
            continue
        # a command letter may be followed by several groups of pairs (implicit repetition)
        while True:
            group = tokens[i : i + 2 * pairs]
            if len(group) != 2 * pairs or any(t.isalpha() for t in group):
                break
            for k in range(pairs):
                x, y = _apply(m, float(group[2 * k]), float(group[2 * k + 1]))
                out.append(f"{_fmt(x)},{_fmt(y)}")
            i += 2 * pairs
            if i < len(tokens) and tokens[i].isalpha():
                break
        if out[-1] == cmd:
            return None  # a command without its coordinates: not something Qt writes
    return " ".join(out)


def _bake_points(points: str, m: Matrix) -> str | None:
    numbers = re.findall(_NUMBER, points)
    if len(numbers) % 2:
        return None
    pairs = (_apply(m, float(numbers[i]), float(numbers[i + 1])) for i in range(0, len(numbers), 2))
    return " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in pairs)


def _bake_rect(el: ET.Element, m: Matrix) -> bool:
    if m[1] != 0.0 or m[2] != 0.0:  # rotated or skewed: no longer a rect
        return False
    try:
        x, y = float(el.get("x", "0")), float(el.get("y", "0"))
        w, h = float(el.get("width", "0")), float(el.get("height", "0"))
    except ValueError:
        return False
    (x0, y0), (x1, y1) = _apply(m, x, y), _apply(m, x + w, y + h)
    el.set("x", _fmt(min(x0, x1)))
    el.set("y", _fmt(min(y0, y1)))
    el.set("width", _fmt(abs(x1 - x0)))
    el.set("height", _fmt(abs(y1 - y0)))
    return True


def _bake(el: ET.Element, m: Matrix) -> bool:
    """Apply ``m`` to the coordinates of ``el`` in place; False (and ``el`` unchanged) when it cannot."""
    tag = el.tag.rsplit("}", 1)[-1]
    if tag == "path":
        baked = _bake_path(el.get("d", ""), m)
        if baked is None:
            return False
        el.set("d", baked)
        return True
    if tag in ("polyline", "polygon"):
        baked = _bake_points(el.get("points", ""), m)
        if baked is None:
            return False
        el.set("points", baked)
        return True
    if tag == "line":
        x1, y1 = _apply(m, float(el.get("x1", "0")), float(el.get("y1", "0")))
        x2, y2 = _apply(m, float(el.get("x2", "0")), float(el.get("y2", "0")))
        for k, v in (("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2)):
            el.set(k, _fmt(v))
        return True
    if tag == "rect":
        return _bake_rect(el, m)
    return False


def _fix_group(group: ET.Element) -> list[ET.Element]:
    """The element(s) that replace ``group``: its non-scaling strokes baked, the rest kept under its transform."""
    m = _parse_matrix(group.get("transform"))
    children = list(group)
    stroked_none = group.get("fill") == "none"
    if m is None:
        for child in children:
            _drop_non_scaling(child, stroked_none)
        return [group]
    baked: list[ET.Element] = []
    for child in children:
        if child.get("vector-effect") == _NON_SCALING and _bake(child, m):
            _drop_non_scaling(child, stroked_none)
            baked.append(child)
    if m[:4] == (1.0, 0.0, 0.0, 1.0):  # a translation scales no stroke: the property changes nothing
        for child in children:
            _drop_non_scaling(child, stroked_none)
    if not baked:
        return [group]
    # The baked shapes go into a copy of the group without its transform; the others keep it.
    plain = ET.Element(group.tag, {k: v for k, v in group.attrib.items() if k != "transform"})
    plain.text, plain.tail = "\n", group.tail
    rest = [c for c in children if c not in baked]
    for child in children:
        group.remove(child)
    plain.extend(baked)
    if not rest:
        return [plain]
    group.extend(rest)
    return [plain, group]


def _drop_non_scaling(el: ET.Element, stroked_none: bool) -> None:
    if el.get("vector-effect") == _NON_SCALING:
        del el.attrib["vector-effect"]
    tag = el.tag.rsplit("}", 1)[-1]
    if stroked_none and tag in ("path", "polyline", "line") and "fill" not in el.attrib:
        # Said on the shape itself too: some renderers (ImageMagick's own) do not inherit a group's fill="none"
        # into an open path and fill it.
        el.set("fill", "none")


def _generic(family: str, resolve: FontResolver) -> str:
    real = resolve(family).strip() or family
    generic = "monospace" if any(w in real.lower() for w in ("mono", "courier", "consol")) else "sans-serif"
    quoted = real if re.fullmatch(r"[A-Za-z][\w -]*", real) else f"'{real}'"
    return f"{quoted}, {generic}" if real.lower() not in ("sans-serif", "monospace") else real


def make_portable(svg: bytes, resolve_font: FontResolver = lambda family: family) -> bytes:
    """``svg`` (from QSvgGenerator) rewritten to render alike in Qt, librsvg, ImageMagick and browsers.

    ``resolve_font`` maps a family name as asked for (``"Sans Serif"``) to the face actually used
    (``"DejaVu Sans"``); the result is followed by a generic CSS family.
    """
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(svg)
    fonts: dict[str, str] = {}
    for el in root.iter():
        family = el.get("font-family")
        if family is not None:
            if family not in fonts:
                fonts[family] = _generic(family, resolve_font)
            el.set("font-family", fonts[family])
    _fix_children(root)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + body + "\n").encode("utf-8")


def _fix_children(parent: ET.Element) -> None:
    children = list(parent)
    if not children:
        return
    replaced: list[ET.Element] = []
    for child in children:
        if child.tag == _q("g") and not any(c.tag == _q("g") for c in child):
            replaced.extend(_fix_group(child))
        else:
            _fix_children(child)
            replaced.append(child)
    for child in children:
        parent.remove(child)
    parent.extend(replaced)


def non_scaling_shapes(svg: bytes) -> Sequence[str]:
    """Tags of the shapes that still depend on ``vector-effect="non-scaling-stroke"`` (for tests and checks)."""
    root = ET.fromstring(svg)
    return [el.tag.rsplit("}", 1)[-1] for el in root.iter() if el.get("vector-effect") == _NON_SCALING]
