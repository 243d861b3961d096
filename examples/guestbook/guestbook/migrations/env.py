"""Alembic environment of an mvcpy project (written by ``mvcpy db init``).

The database URL comes from the app's configuration (``[database] url``, ``MVCPY_*``
variables, the environment chosen by ``MVCPY_ENV``) and the tables from the models that
inherit ``mvcpy.orm.Model``. ``mvcpy db upgrade`` and plain ``alembic upgrade head``
both run this file.
"""

from alembic import context
from mvcpy.migrate import configure_context

configure_context(context)
