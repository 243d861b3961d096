"""The models of {{ project }}: every model module is imported here, so that migrations
see it. `mvcpy generate model NAME field:type ...` (or `scaffold`) writes one and adds it.
"""

__all__: list[str] = []
