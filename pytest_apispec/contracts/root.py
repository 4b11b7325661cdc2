"""Where the contracts docs name are found: one folder, and whether a user chose it.

A doc's ``swagger:`` (or ``openapi:``) path is relative to the contract root. With no root
configured (the rootdir then), a named file that is not there leaves the doc unchecked, so
that a checkout without the swagger folder is not red; a configured root makes it an error.
Every part of the plugin that looks for a contract (the checks of a run, lint, coverage)
asks this one value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ContractRoot:
    folder: Path = Path(".")
    configured: bool = False  # by option, environment or ini, not the default

    def path_of(self, name: str) -> Path:
        """The file a doc's ``swagger: NAME`` names."""
        return self.folder / name

    def unchecked(self, path: Path) -> bool:
        """Whether a doc naming ``path`` runs without a contract check: no root was
        configured and the file is not there."""
        return not self.configured and not path.is_file()
