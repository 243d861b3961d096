"""${message}

Revision ID: ${up_revision}
% if down_revision:
Revises: ${down_revision | comma,n}
% else:
Revises: nothing (the first revision)
% endif
Create Date: ${create_date}
"""

<% body = (upgrades or "") + (downgrades or "") %>\
% if "sa." in body:
import sqlalchemy as sa
% endif
% if "op." in body:
from alembic import op
% else:
from alembic import op  # noqa: F401 (for the operations you write below)
% endif
% if imports:
${imports}
% endif

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
