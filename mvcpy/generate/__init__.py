"""``mvcpy generate``: write controllers, models, migrations and scaffolds into a project.

- :mod:`~mvcpy.generate.naming`: names from ``post`` (``Post``, ``posts``, routes)
- :mod:`~mvcpy.generate.fields`: ``name:type`` field specifications
- :mod:`~mvcpy.generate.files`: the plan of files, templates and idempotent edits
- :mod:`~mvcpy.generate.migrations`: the revisions (Alembic, through :mod:`mvcpy.migrate`)
- :mod:`~mvcpy.generate.generators`: the controller, model and scaffold generators
- the command line: :mod:`mvcpy.cli.generate`

The templates of the generated files live in the framework's ``app_skeleton/generators/``.
"""
