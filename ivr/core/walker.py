"""A small generic walker that reads one mapping of a menus file as its declared record says.

A record (ivr.core.schema) lists its keys in the order staff read them, whether each is required, its default,
and the typed checker that reads its value; the walker checks the keys, runs each checker at the key's path and
collects the values, so every problem keeps its file, line and key path, and a new key is one line.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from ivr.core.checks import DocumentChecker
from ivr.core.yamlsource import KeyPath

# Reads the value at a key path; returns None after reporting why it cannot be used.
Reader = Callable[["Walk", KeyPath, Any], Any]
# Reads several keys of one mapping together (alternatives such as date | from and to); gets the whole mapping.
GroupReader = Callable[["Walk", KeyPath, dict[str, Any]], Any]
NO_ID: Any = object()  # a record read without an id of its own (an id may be any YAML key, even null)


@dataclass(frozen=True)
class Field:
    """One key of a record: how its value is read, whether it must be there, and what it is when absent.

    blocks: a value that cannot be read leaves the record unbuilt (a head of office that is not text does not).
    gate: a value that cannot be read stops the record's later keys being read (they would only repeat it).
    """

    key: str
    read: Reader
    required: bool = True
    default: Any = None
    blocks: bool = True
    gate: bool = False


@dataclass(frozen=True)
class Group:
    """Keys read together, all optional, their value kept under one name (one of menu and unit, say)."""

    name: str
    keys: tuple[str, ...]
    read: GroupReader
    blocks: bool = True


@dataclass(frozen=True)
class Record:
    """A mapping's declared keys, read in the order given; `shown` orders them for staff when it differs."""

    items: tuple[Field | Group, ...]
    shown: tuple[str, ...] = ()
    required: tuple[str, ...] = field(init=False)
    optional: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        needed = {item.key for item in self.items if isinstance(item, Field) and item.required}
        keys = tuple(k for item in self.items for k in (item.keys if isinstance(item, Group) else (item.key,)))
        if self.shown and sorted(self.shown) != sorted(keys):
            # A key left out of `shown` would be refused in every file as unknown.
            raise ValueError(f"shown {self.shown} must list exactly the record's keys {keys}")
        keys = self.shown or keys
        object.__setattr__(self, "required", tuple(k for k in keys if k in needed))
        object.__setattr__(self, "optional", tuple(k for k in keys if k not in needed))


class Fields(dict[str, Any]):
    """The values a record's checkers returned; `complete` is False when one that blocks could not be read."""

    complete: bool = True

    def __init__(self) -> None:
        super().__init__()
        self.written: set[str] = set()  # the keys the file has, as against those given their default

    def has(self, key: str) -> bool:
        """Tell whether the file wrote this key (a required key that is missing counts as written)."""
        return key in self.written


@dataclass
class Walk:
    """What reading one file needs: its checker, and what other files declared or built (for references)."""

    check: DocumentChecker
    known: Mapping[str, Collection[str]] = field(default_factory=dict)  # ids each file declares, built or not
    built: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # objects built from other files
    seen: dict[str, dict[str, str]] = field(default_factory=dict)  # values that must be unique in the file

    def record(self, path: KeyPath, value: Any, record: Record, ident: Any = NO_ID) -> Fields | None:
        """Read a mapping as its record says; None when it is not a mapping, its id is bad or a gate failed."""
        given = self.check.mapping(path, value, required=record.required, optional=record.optional)
        if given is None or (ident is not NO_ID and not self.check.identifier(path, ident)):
            return None
        out = Fields()
        for item in record.items:
            if isinstance(item, Group):
                value = item.read(self, path, given)
            elif item.key in given:
                out.written.add(item.key)
                value = item.read(self, (*path, item.key), given[item.key])
            else:
                out[item.key] = item.default
                continue
            out[item.name if isinstance(item, Group) else item.key] = value
            if value is None and isinstance(item, Field) and item.gate:
                return None
            if item.blocks and (value is None or (isinstance(value, Fields) and not value.complete)):
                out.complete = False
        return out

    def each(self, path: KeyPath, value: Any, read: Callable[[KeyPath, Any, Any], Any]) -> dict[Any, Any]:
        """Read every entry of a mapping of ids (units, menus, seasons); keep those that could be built."""
        found: dict[Any, Any] = {}
        for ident, spec in (self.check.mapping(path, value) or {}).items():
            built = read((*path, ident), ident, spec)
            if built is not None:
                found[ident] = built
        return found


def nested(record: Record) -> Reader:
    """Return a reader of a mapping inside a record, itself read as `record` says."""

    def read(walk: Walk, path: KeyPath, value: Any) -> Fields | None:
        return walk.record(path, value, record)

    return read
