"""What a project (matter) name may be: the one check every entry point applies.

A project name becomes part of blob keys (`entity_graph/<project>/`, `inbox/<project>/`) and of
file names on export, so it is restricted to characters that are safe in all of them: nothing a
user types can reach another project's files or break the assets every project shares.
"""

from __future__ import annotations

import re

_PROJECT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class InvalidProjectName(ValueError):
    """A project name outside the allowed shape; the message shows it and the rule."""


def validated_project(name: str) -> str:
    """`name` unchanged when it is a valid project name, else `InvalidProjectName` saying why."""
    if _PROJECT_NAME.fullmatch(name) and ".." not in name:
        return name
    raise InvalidProjectName(
        f"project name {name!r} is not allowed: use 1-64 letters, digits, '.', '_' or '-', "
        "starting with a letter or digit (no '/', no '..', no spaces)"
    )
