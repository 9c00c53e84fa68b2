"""The catch-up steps, one module per lab: for each task a later cell depends on, the idempotent action that does it.

Each step finds its resource by tag first (as the builder does), creates it
only if it is missing, and returns the resources the lab reads next. They use
the same names and settings the lesson asks for, so what they build is what
the student would have built. Importing this package registers every step.
"""
from __future__ import annotations

import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")
