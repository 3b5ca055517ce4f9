"""shadowlens-stormshield: Stormshield SNS audit logs as a spec-only shadowlens format plugin.

The format is data: ``stormshield.lark`` (the grammar) and ``stormshield.toml``
(the field table). This line is the plugin's whole Python: the
``register_formats`` hook the ``shadowlens`` entry point in ``pyproject.toml``
points at.
"""

from shadowlens.plugins.specs import register_specs

register_formats = register_specs(__name__, "stormshield.toml")
