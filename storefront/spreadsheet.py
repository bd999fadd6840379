"""CSV cells that a spreadsheet opens safely: text that would run as a formula (=, +, -, @
first) is written with a leading apostrophe, and read back without it."""

_FORMULA_START = ("=", "+", "-", "@")


def cell_text(value: str) -> str:
    return "'" + value if value[:1] in _FORMULA_START else value


def cell_untext(value: str) -> str:
    return value[1:] if value[:1] == "'" and value[1:2] in _FORMULA_START else value
