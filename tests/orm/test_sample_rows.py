"""``make_row``: a stored row with a sample in every required column, parents included."""

from __future__ import annotations

import datetime
import decimal
import enum

import pytest
from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Numeric,
    String,
    Time,
    create_engine,
    func,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

from mvcpy.testing import make_row


class Base(DeclarativeBase):
    pass


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Shelf(Base):
    __tablename__ = "shelves"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(4), unique=True)


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    shelf_id: Mapped[int] = mapped_column(ForeignKey("shelves.id"))


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    pages: Mapped[int]
    price: Mapped[decimal.Decimal] = mapped_column(Numeric(8, 2))
    rating: Mapped[float]
    in_print: Mapped[bool]
    published: Mapped[datetime.date] = mapped_column(Date)
    added: Mapped[datetime.datetime] = mapped_column(DateTime)
    opens: Mapped[datetime.time] = mapped_column(Time)
    colour: Mapped[Colour] = mapped_column(Enum(Colour))
    extra: Mapped[dict[str, object]] = mapped_column(JSON)
    subtitle: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id"))


class Opaque(TypeDecorator[str]):
    impl = String
    cache_ok = True

    @property
    def python_type(self) -> type:
        raise NotImplementedError


class Odd(Base):
    __tablename__ = "odds"
    id: Mapped[int] = mapped_column(primary_key=True)
    blob: Mapped[str] = mapped_column(Opaque(20))


@pytest.fixture
def db() -> Session:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_every_required_column_gets_a_value_of_its_type(db: Session) -> None:
    book = make_row(db, Book)
    db.expire_all()
    book = db.get(Book, book.id)
    assert isinstance(book.title, str) and book.title
    assert isinstance(book.pages, int)
    assert isinstance(book.price, decimal.Decimal)
    assert isinstance(book.rating, float) and book.in_print is False
    assert isinstance(book.published, datetime.date)
    assert isinstance(book.added, datetime.datetime)
    assert isinstance(book.opens, datetime.time)
    assert book.colour is Colour.RED and book.extra == {}
    assert book.subtitle is None and book.editor_id is None  # nullable: left empty
    assert book.status == "draft"  # the column's default is kept


def test_required_foreign_keys_get_their_rows_in_turn(db: Session) -> None:
    book = make_row(db, Book)
    author = db.get(Author, book.author_id)
    assert author is not None and db.get(Shelf, author.shelf_id) is not None
    assert db.scalar(select(func.count()).select_from(Shelf)) == 1


def test_values_given_win_and_unique_columns_stay_unique(db: Session) -> None:
    shelf = make_row(db, Shelf, code="A1")
    author = make_row(db, Author, shelf_id=shelf.id)
    assert author.shelf_id == shelf.id and shelf.code == "A1"
    codes = {make_row(db, Shelf).code for _ in range(5)}
    assert len(codes) == 5 and all(len(code) <= 4 for code in codes)  # cut to String(4)


def test_a_type_it_cannot_invent_names_the_column(db: Session) -> None:
    with pytest.raises(TypeError, match=r"odds\.blob .*make_row\(db, Model, blob=\.\.\.\)"):
        make_row(db, Odd)
    assert make_row(db, Odd, blob="given").blob == "given"
