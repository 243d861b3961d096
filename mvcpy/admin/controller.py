"""The admin's pages: the index, a model's list (search, filters, order, pages, bulk
delete), its create and edit forms, delete with confirmation, and the audit log.

Every action checks the model's permission for what it does (``posts.view``,
``posts.create``, ``posts.edit``, ``posts.delete``); the routes' filter has checked the
admin's own (``[admin] permission``) before. A form changes only the registered fields.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticError

from mvcpy.admin import audit
from mvcpy.admin.fields import AdminField, display, form_value, label_of
from mvcpy.admin.site import Admin, ModelAdmin, row_title
from mvcpy.auth.permissions import has_permission
from mvcpy.binding import ValidationError
from mvcpy.controller import Controller
from mvcpy.errors import HTTPError
from mvcpy.http.response import HTMLResponse, RedirectResponse
from mvcpy.translation import gettext

__all__ = ["AdminController", "AdminPages"]

#: the longest search text taken
_SEARCH_LIMIT = 200
#: the distinct values a filter on a plain column offers at most
_FILTER_VALUES = 50


class AdminPages:
    """What the admin's controller needs: the registrations and ``[admin]``'s numbers."""

    def __init__(self, load: Callable[[], Admin], per_page: int, select_limit: int) -> None:
        self._load = load
        self.per_page = per_page
        self.select_limit = select_limit

    @cached_property
    def site(self) -> Admin:
        """The registrations, imported on first use (the app's start)."""
        return self._load()

    def title(self, obj: Any) -> str:
        """The name of row ``obj``, by its registration when it has one."""
        registered = self.site.of(type(obj))
        if registered is not None:
            return registered.title(obj)
        return row_title(obj)


class AdminController(Controller):
    """The admin's actions; the component routes a subclass bound to its pages."""

    pages: ClassVar[AdminPages]

    # -- the index and the log ------------------------------------------------------
    def index(self) -> HTMLResponse:
        """The models this user may see, with the newest changes to them."""
        visible = self._visible()
        entries = audit.entries(self.db, limit=10) if visible else []
        slugs = {m.slug for m in visible}
        return self.render(
            "admin/index.html",
            models=[
                (m, has_permission(self.current_user, m.permission("create"))) for m in visible
            ],
            entries=[e for e in entries if e.model in slugs],
            **self._chrome(None),
        )

    def log(self) -> HTMLResponse:
        """The audit log, newest first, of the models this user may see (``?model=``,
        ``?object=`` narrow it; ``?before=`` pages back)."""
        slug = self.get_string("model") or None
        registered = self._model(slug, "view") if slug is not None else None
        object_id = self.get_string("object") or None
        before = self.get_int("before", 0)
        if before < 0 or before > 2**62:
            raise HTTPError(400, gettext("before must be an entry's id"))
        slugs = {m.slug for m in self._visible()}
        entries = [
            e
            for e in audit.entries(
                self.db, model=slug, object_id=object_id, limit=50, before=before
            )
            if e.model in slugs
        ]
        return self.render(
            "admin/log.html", entries=entries, object_id=object_id, **self._chrome(registered)
        )

    # -- a model's list ---------------------------------------------------------------
    def rows(self, model: str) -> HTMLResponse:
        """A page of rows: ``?q=`` searches, ``?<field>=`` filters, ``?o=`` orders,
        ``?page=`` pages."""
        registered = self._model(model, "view")
        query = sa.select(registered.model)
        search = self.get_string("q").strip()
        if len(search) > _SEARCH_LIMIT or "\x00" in search:
            raise HTTPError(400, gettext("The search is too long or holds a NUL character."))
        if search and registered.search:
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(
                sa.or_(
                    *(
                        sa.func.lower(registered.columns[name]).like(
                            pattern.lower() + "%", escape="\\"
                        )
                        for name in registered.search
                    )
                )
            )
        active: dict[str, Any] = {}
        for field in registered.filters:
            raw = self.get_string(field.name)
            if raw != "":
                value = _parse(field, raw)
                active[field.name] = raw
                column = registered.columns[field.name]
                query = query.where(column.is_(None) if value is None else column == value)
        order = self.get_string("o") or None
        if order is not None and not registered.sortable(order.lstrip("-")):
            raise HTTPError(
                400, gettext("The list cannot be ordered by %(name)s.", name=order.lstrip("-"))
            )
        names = [order] if order else list(registered.ordering)
        for name in names:
            column = registered.columns[name.lstrip("-")]
            query = query.order_by(column.desc() if name.startswith("-") else column.asc())
        if registered.key_name not in {name.lstrip("-") for name in names}:
            # rows that sort alike keep one order from page to page
            query = query.order_by(registered.columns[registered.key_name].asc())
        page = self.db.paginate(
            query,
            self.get_int("page", 1),
            per_page=registered.per_page or self.pages.per_page,
            max_per_page=1000,
        )
        user = self.current_user
        state = {"q": search, "o": order or "", **active}
        headers = [
            (
                name,
                label_of(name) if name != registered.key_name else name.upper(),
                self._list_url(registered, state, o="-" + name if order == name else name)
                if registered.sortable(name)
                else None,
            )
            for name in registered.list_display
        ]
        filters = [
            (
                field.label,
                [
                    (
                        gettext("All"),
                        self._list_url(registered, state, **{field.name: ""}),
                        field.name not in active,
                    )
                ]
                + [
                    (
                        text,
                        self._list_url(registered, state, **{field.name: value}),
                        active.get(field.name) == value,
                    )
                    for value, text in self._filter_choices(registered, field)
                ],
            )
            for field in registered.filters
        ]
        return self.render(
            "admin/list.html",
            page=page,
            rows=self._cells(registered, page.items),
            headers=headers,
            search=search,
            order=order or "",
            active=active,
            filters=filters,
            can_create=has_permission(user, registered.permission("create")),
            can_delete=has_permission(user, registered.permission("delete")),
            **self._chrome(registered),
        )

    def bulk_delete(self, model: str) -> HTMLResponse | RedirectResponse:
        """Delete the checked rows: first a page that names them, then, confirmed, all of
        them in one transaction (none when one cannot go)."""
        registered = self._model(model, "delete")
        keys = [registered.key(raw) for raw in self.get_strings("ids")]
        if not keys or any(key is None for key in keys) or len(keys) > 1000:
            raise HTTPError(400, gettext("Choose the rows to delete (at most 1,000)."))
        key_column = registered.columns[registered.key_name]
        rows = list(
            self.db.scalars(
                sa.select(registered.model).where(key_column.in_(keys)).order_by(key_column)
            )
        )
        if self.get_string("confirm") != "yes":
            return self.render(
                "admin/delete.html",
                rows=[(registered.key_of(row), registered.title(row)) for row in rows],
                action=self.url_for("admin.bulk_delete", model=registered.slug),
                **self._chrome(registered),
            )
        deleted = self._delete(registered, rows)
        if deleted is not None:
            return deleted
        self.flash(
            gettext("%(count)s %(name)s deleted.", count=len(rows), name=registered.plural.lower()),
            "success",
        )
        return self.redirect("admin.list", 303, model=registered.slug)

    # -- one row ----------------------------------------------------------------------
    def new(self, model: str) -> HTMLResponse:
        """The empty form (column defaults filled in)."""
        registered = self._model(model, "create")
        values = {field.name: _default(registered, field) for field in registered.fields}
        return self._render_form(registered, None, values, {}, 200)

    def create(self, model: str) -> HTMLResponse | RedirectResponse:
        """Save a new row, or show the form again with the errors beside the fields (422)."""
        registered = self._model(model, "create")
        try:
            values = self._bind(registered)
        except ValidationError as exc:
            return self._render_form(registered, None, exc.data, exc.field_errors, 422)
        obj = registered.model(**values)
        self.db.add(obj)
        return self._save(
            registered,
            None,
            obj,
            values,
            audit.changes_of({}, values),
            lambda title: gettext(
                "%(name)s %(title)s created.", name=registered.label, title=title
            ),
        )

    def edit(self, model: str, id: str) -> HTMLResponse:
        """The form filled with the row's values."""
        registered = self._model(model, "view")
        obj = self._row(registered, id)
        values = {field.name: form_value(getattr(obj, field.name)) for field in registered.fields}
        return self._render_form(registered, obj, values, {}, 200)

    def update(self, model: str, id: str) -> HTMLResponse | RedirectResponse:
        """Save the edited fields, or show the form again with its errors (422)."""
        registered = self._model(model, "edit")
        obj = self._row(registered, id)
        try:
            values = self._bind(registered)
        except ValidationError as exc:
            return self._render_form(registered, obj, exc.data, exc.field_errors, 422)
        before = {name: getattr(obj, name) for name in values}
        # A field sent back as the form showed it is left alone: a timestamp keeps the
        # fraction of a second its input cannot show, and the log lists real changes only.
        changed = {n: v for n, v in values.items() if form_value(v) != form_value(before[n])}
        for name, value in changed.items():
            setattr(obj, name, value)
        return self._save(
            registered,
            obj,
            obj,
            values,
            audit.changes_of(before, changed),
            lambda title: gettext("%(name)s %(title)s saved.", name=registered.label, title=title),
        )

    def delete(self, model: str, id: str) -> HTMLResponse:
        """The page that asks to confirm deleting the row."""
        registered = self._model(model, "delete")
        obj = self._row(registered, id)
        return self.render(
            "admin/delete.html",
            rows=[(registered.key_of(obj), registered.title(obj))],
            action=self.url_for("admin.destroy", model=registered.slug, id=id),
            **self._chrome(registered),
        )

    def destroy(self, model: str, id: str) -> HTMLResponse | RedirectResponse:
        """Delete the row (confirmed) and go back to the list."""
        registered = self._model(model, "delete")
        obj = self._row(registered, id)
        title = registered.title(obj)
        deleted = self._delete(registered, [obj])
        if deleted is not None:
            return deleted
        self.flash(
            gettext("%(name)s %(title)s deleted.", name=registered.label, title=title), "success"
        )
        return self.redirect("admin.list", 303, model=registered.slug)

    # -- helpers ----------------------------------------------------------------------
    def _list_url(self, registered: ModelAdmin, state: dict[str, str], **changes: str) -> str:
        """The list's URL with the search, order and filters of ``state`` changed."""
        params = {k: v for k, v in {**state, **changes}.items() if v != ""}
        return self.url_for("admin.list", model=registered.slug, **params)

    def _visible(self) -> list[ModelAdmin]:
        user = self.current_user
        return [m for m in self.pages.site if has_permission(user, m.permission("view"))]

    def _model(self, slug: str | None, action: str) -> ModelAdmin:
        registered = self.pages.site.get(slug or "")
        if registered is None:
            raise HTTPError(404, gettext("The admin has no model %(name)s.", name=slug))
        self.authorize(registered.permission(action))
        return registered

    def _row(self, registered: ModelAdmin, id: str) -> Any:
        key = registered.key(id)
        if key is None:
            raise HTTPError(
                404, gettext("There is no %(name)s %(id)s.", name=registered.label, id=id)
            )
        return self.db.get_or_404(
            registered.model,
            key,
            gettext("There is no %(name)s %(id)s.", name=registered.label, id=id),
        )

    def _chrome(self, registered: ModelAdmin | None) -> dict[str, Any]:
        """What every admin page shows around its content."""
        return {"registered": registered, "admin_models": self._visible()}

    def _cells(self, registered: ModelAdmin, rows: list[Any]) -> list[tuple[Any, list[str]]]:
        """Each row's key and shown values; a foreign key shows its row's title, the rows
        of a page read with one query per foreign key (not one per cell)."""
        titles: dict[str, dict[Any, str]] = {}
        for name in registered.list_display:
            target = registered.target(name)
            keys = {getattr(row, name) for row in rows} - {None}
            if target is not None and keys:
                column = sa.inspect(target).primary_key[0]
                found = self.db.scalars(sa.select(target).where(column.in_(keys)))
                titles[name] = {getattr(t, column.key): self.pages.title(t) for t in found}
        shown = []
        for row in rows:
            cells = []
            for name in registered.list_display:
                value = getattr(row, name)
                if callable(value):
                    value = value()
                if name in titles and value is not None:
                    value = titles[name].get(value, value)
                cells.append(display(value))
            shown.append((registered.key_of(row), cells))
        return shown

    def _choices(self, field: AdminField) -> list[tuple[str, str]] | None:
        """A foreign key's rows as (key, title), or None when there are more than
        ``[admin] select_limit`` (the form then asks for the key)."""
        target = field.target
        if target is None:
            return [(value, value) for value in field.choices]
        key = sa.inspect(target).primary_key[0]
        rows = list(
            self.db.scalars(sa.select(target).order_by(key).limit(self.pages.select_limit + 1))
        )
        if len(rows) > self.pages.select_limit:
            return None
        return [(str(getattr(row, key.key)), self.pages.title(row)) for row in rows]

    def _filter_choices(self, registered: ModelAdmin, field: AdminField) -> list[tuple[str, str]]:
        if field.kind == "bool":
            return [("true", gettext("yes")), ("false", gettext("no"))]
        if field.kind in ("choice", "reference"):
            return self._choices(field) or []
        column = registered.columns[field.name]
        values = self.db.scalars(
            sa.select(column)
            .where(column.is_not(None))
            .distinct()
            .order_by(column)
            .limit(_FILTER_VALUES)
        )
        return [(str(form_value(value)), display(value)) for value in values]

    def _render_form(
        self,
        registered: ModelAdmin,
        obj: Any,
        values: dict[str, Any],
        errors: dict[str, list[str]],
        status: int,
    ) -> HTMLResponse:
        key = registered.key_of(obj) if obj is not None else None
        user = self.current_user
        return self.render(
            "admin/form.html",
            status,
            obj=obj,
            key=key,
            title=registered.title(obj) if obj is not None else None,
            fields=[
                (field, self._choices(field) if field.input == "select" else None)
                for field in registered.fields
            ],
            form=values,
            errors=errors,
            can_edit=has_permission(
                user, registered.permission("edit" if obj is not None else "create")
            ),
            can_delete=obj is not None and has_permission(user, registered.permission("delete")),
            history=audit.entries(self.db, model=registered.slug, object_id=key, limit=10)
            if obj is not None
            else [],
            **self._chrome(registered),
        )

    def _bind(self, registered: ModelAdmin) -> dict[str, Any]:
        """The registered fields of the submitted form, checked all at once: their types
        and lengths, then the required ones and that foreign keys point at a row."""
        try:
            values: dict[str, Any] | None = self.bind(registered.form).model_dump()
            problems: dict[str, list[str]] = {}
        except ValidationError as exc:
            values, problems = None, exc.field_errors
        sent = self._form_data()
        checked: dict[str, Any] = {}
        for field in registered.fields:
            if field.name in problems:
                continue
            if values is not None:
                value = values[field.name]
            else:  # another field failed: check this one alone
                try:
                    value = TypeAdapter(field.annotation).validate_python(
                        sent.get(field.name, False if field.kind == "bool" else None)
                    )
                except PydanticError:
                    continue  # cannot happen: the form failed on other fields
            if value is None and field.required:
                problems[field.name] = [gettext("This field is required.")]
            elif (
                value is not None
                and field.target is not None
                and self.db.get(field.target, value) is None
            ):
                problems[field.name] = [
                    gettext("There is no such %(name)s.", name=field.label.lower())
                ]
            checked[field.name] = value
        if problems:
            messages = {name: " ".join(texts) for name, texts in problems.items()}
            raise ValidationError.from_messages(messages, sent, registered.form)
        return checked

    def _form_data(self) -> dict[str, Any]:
        form = self._form()
        return {key: form.get(key) for key in form}

    def _save(
        self,
        registered: ModelAdmin,
        existing: Any,
        obj: Any,
        values: dict[str, Any],
        changes: dict[str, Any],
        said: Callable[[str], str],
    ) -> HTMLResponse | RedirectResponse:
        """Write a created (``existing`` None) or edited row and its log entry, say so and
        go back to the list; or show the form with what the database refused."""
        failed = self._flush(registered, existing, values)
        if failed is not None:
            return failed
        if changes:
            self._audit(registered, obj, "create" if existing is None else "edit", changes)
        self.flash(said(registered.title(obj)), "success")
        return self.redirect("admin.list", 303, model=registered.slug)

    def _flush(
        self, registered: ModelAdmin, obj: Any, values: dict[str, Any]
    ) -> HTMLResponse | None:
        """Write the change now, so that a constraint the database holds (a unique
        column) is shown on the form (422) instead of failing the request."""
        try:
            self.db.flush()
        except sa.exc.IntegrityError as exc:
            self.db.rollback()
            if obj is not None:
                obj = self._row(registered, str(registered.key_of(obj)))
            message = gettext("The database refused it: %(reason)s", reason=_reason(exc))
            data = {name: form_value(value) for name, value in values.items()}
            response = self._render_form(registered, obj, data, {"__all__": [message]}, 422)
            return response
        return None

    def _delete(self, registered: ModelAdmin, rows: Sequence[Any]) -> HTMLResponse | None:
        titles = [(registered.key_of(row), registered.title(row)) for row in rows]
        try:
            for row in rows:
                self.db.delete(row)
            self.db.flush()
        except sa.exc.IntegrityError as exc:
            self.db.rollback()
            return self.render(
                "admin/delete.html",
                409,
                rows=titles,
                action="",
                refused=gettext("Nothing was deleted: %(reason)s", reason=_reason(exc)),
                **self._chrome(registered),
            )
        for key, title in titles:
            self._audit_key(registered, key, title, "delete", {})
        return None

    def _audit(
        self, registered: ModelAdmin, obj: Any, action: str, changes: dict[str, Any]
    ) -> None:
        self._audit_key(registered, registered.key_of(obj), registered.title(obj), action, changes)

    def _audit_key(
        self, registered: ModelAdmin, key: Any, title: str, action: str, changes: dict[str, Any]
    ) -> None:
        audit.record(
            self.db,
            user=self.current_user,
            model=registered.slug,
            object_id=key,
            title=title,
            action=action,
            changes=changes,
        )


def _default(registered: ModelAdmin, field: AdminField) -> Any:
    default = registered.columns[field.name].default
    arg = getattr(default, "arg", None)
    if default is None or callable(arg):
        return False if field.kind == "bool" else ""
    return form_value(arg)


def _parse(field: AdminField, raw: str) -> Any:
    try:
        return TypeAdapter(field.annotation).validate_python(raw)
    except PydanticError:
        raise HTTPError(
            400, gettext("%(value)r is not a value of %(name)s.", value=raw[:50], name=field.label)
        ) from None


def _reason(exc: sa.exc.IntegrityError) -> str:
    """The database's words, first line, without the SQL."""
    text = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    return text[:300]
