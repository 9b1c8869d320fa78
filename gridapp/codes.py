"""NBS division codes and names (pure functions).

Codes: 6 digits district (GB/T 2260), 9 township, 12 village level (NBS 统计用区划代码);
village-level sequence 001–199 居委会 (社区), 200–399 村委会 (村) — see
geodata/standards/grid_code_rules.md.
"""
from __future__ import annotations

_SUFFIXES = (("社区居民委员会", "社区"), ("社区居委会", "社区"), ("居委会", "社区"),
             ("村民委员会", "村"), ("村委会", "村"), ("街道办事处", "街道"))


def short_name(official: str) -> str:
    """Everyday name of a unit: 红旗社区居委会 → 红旗社区, 常家河村委会 → 常家河村,
    七一路街道办事处 → 七一路街道; other names unchanged."""
    name = official.strip()
    for suffix, replacement in _SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem if stem.endswith(replacement) else stem + replacement
    return name


def level_of(code: str) -> str:
    """Area level of an NBS code by its length: 6 → district, 9 → township, 12 → community.

    Raises ValueError for another length or non-digits.
    """
    levels = {6: "district", 9: "township", 12: "community"}
    if not code.isdigit() or len(code) not in levels:
        raise ValueError(f"not an NBS division code: {code!r}")
    return levels[len(code)]
