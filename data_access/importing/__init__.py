"""Import of the bank's own data: mapping files, chunked readers, pandera validation, idempotent loads.

``import_file(engine, path, mapping, table)`` is the one entry point (the CLI's ``import`` and the
admin page call it); ``load_mapping`` reads and checks a mapping file.
"""

from data_access.importing.importer import ImportResult, import_file, preview
from data_access.importing.mapping import Mapping, MappingError, available_mappings, load_mapping
from data_access.importing.rules import IMPORT_ORDER

__all__ = [
    "IMPORT_ORDER",
    "ImportResult",
    "Mapping",
    "MappingError",
    "available_mappings",
    "import_file",
    "load_mapping",
    "preview",
]
