"""The accused sales: summed per accused listing and in total, and set against the amount frozen.

The figures come from the platform's sales export that `sales.file` of case.yaml names (read by
`pipeline.sales_export`), or, without one, from `units_sold` and `revenue` of `products`. Each currency is
summed on its own: amounts in different currencies are reported side by side, never added or converted.
Every figure keeps its source (the file, the lines counted and those left out, and why; or case.yaml), so
the documents can say where each number comes from. Decimal arithmetic throughout, never float.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pipeline.context import Exhibit, Money, money, sha256_of
from pipeline.errors import CaseDataError, EvidenceError
from pipeline.evidence import resolve_file
from pipeline.load import Case, display_path
from pipeline.model import CaseFile, Ground, Product
from pipeline.sales_export import Line, read_export, same_country, text_key

PRODUCTS_SOURCE = (
    "the company's own records of the accused listings' units sold and revenue",
    "我司就涉案链接销量与销售额的记录",
)
"""The source of figures taken from `products`, as the documents name it to their readers (to whom
case.yaml means nothing)."""


@dataclass(frozen=True)
class SalesRow:
    """One accused listing's sales in one currency (a listing sold in two currencies has two rows)."""

    listing_id: str
    title: str
    title_zh: str
    units: int
    amount: Money
    orders: int | None = None
    """Order lines counted; None when the figures come from products."""


@dataclass(frozen=True)
class LeftOut:
    """Lines of the export not counted, for one reason."""

    reason: str
    reason_zh: str
    count: int


@dataclass(frozen=True)
class AccusedSales:
    """The sales of the accused listings, their source, and the comparison with the amount frozen; the
    templates' `sales` (docs/templates.md)."""

    rows: list[SalesRow]
    totals: list[Money]
    """One total per currency, in the order the currencies first appear."""
    frozen: Money | None
    file: str = ""
    """The export as case.yaml names it (`evidence/sales.csv`); empty when the figures come from products."""
    sheet: str = ""
    sha256: str = ""
    exhibit: Exhibit | None = None
    """The exhibit that is the export itself, when `evidence:` lists it too."""
    rows_read: int = 0
    rows_counted: int = 0
    left_out: list[LeftOut] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    period_start: dt.date | None = None
    """`sales.date_from` of case.yaml: orders before it are not counted."""
    period_end: dt.date | None = None
    """`sales.date_to`: orders after it are not counted."""
    first_order: dt.date | None = None
    """The date of the earliest counted order line (when the export's dates are mapped)."""
    last_order: dt.date | None = None
    units_column: str = ""
    """The export's columns the units and the amounts are taken from."""
    amount_column: str = ""

    @property
    def from_export(self) -> bool:
        """Whether the figures come from a sales export (else from products)."""
        return bool(self.file)

    @property
    def file_name(self) -> str:
        """The export's name without its folder."""
        return Path(self.file).name

    @property
    def units(self) -> int:
        """Units of all accused listings together."""
        return sum(row.units for row in self.rows)

    @property
    def mixed(self) -> bool:
        """Whether the revenue is in more than one currency (then there is no single total)."""
        return len(self.totals) > 1

    @property
    def total(self) -> Money | None:
        """The revenue of the accused listings, when it is in one currency."""
        return self.totals[0] if len(self.totals) == 1 else None

    @property
    def rows_left_out(self) -> int:
        """Lines of the export not counted."""
        return sum(item.count for item in self.left_out)

    @property
    def comparable(self) -> bool:
        """Whether the amount frozen and the revenue are in the same single currency."""
        return (
            self.frozen is not None and self.total is not None and self.frozen.currency == self.total.currency
        )

    @property
    def excess(self) -> Money | None:
        """How much more is frozen than the accused revenue (zero when no more); None when not comparable."""
        if not self.comparable or self.frozen is None or self.total is None:
            return None
        return Money(max(self.frozen.amount - self.total.amount, Decimal(0)), self.frozen.currency)

    @property
    def destination(self) -> str:
        """Where the counted orders went, for `to ...` in English (`the United States`); empty when every
        destination counts."""
        return " or ".join("the United States" if same_country(c, "US") else c for c in self._destinations)

    @property
    def destination_zh(self) -> str:
        """The same in Chinese (`美国`)."""
        return "、".join("美国" if same_country(c, "US") else c for c in self._destinations)

    @property
    def _destinations(self) -> list[str]:
        """`sales.countries` for an export; the figures of `products` are sales to the United States
        (`units_sold`), which the declaration swore to as plain sales when it did not say so."""
        return self.countries if self.from_export else ["US"]

    @property
    def source(self) -> str:
        """Where the figures come from, in English: the file and its lines counted and left out."""
        if not self.from_export:
            return PRODUCTS_SOURCE[0]
        sheet = f' (sheet "{self.sheet}")' if self.sheet else ""
        counted = f"{self.rows_counted} counted"
        left = ", ".join(f"{item.count} {item.reason}" for item in self.left_out)
        lines = f"{self.rows_read} order line{'' if self.rows_read == 1 else 's'}"
        return f"{self.file}{sheet}, {lines}: {counted}" + (f"; not counted: {left}" if left else "")

    @property
    def source_zh(self) -> str:
        """The same in Chinese."""
        if not self.from_export:
            return PRODUCTS_SOURCE[1]
        sheet = f"（工作表“{self.sheet}”）" if self.sheet else ""
        left = "，".join(f"{item.reason_zh}{item.count}行" for item in self.left_out)
        return f"{self.file}{sheet}，共{self.rows_read}行订单，计入{self.rows_counted}行" + (
            f"；未计入：{left}" if left else ""
        )


def accused_listings(data: CaseFile) -> list[str]:
    """The IDs of the accused listings: `sales.listings`, else the products with `accused: true`."""
    return list(data.sales.listings) or [product.listing_id for product in data.products if product.accused]


def accused_keys(data: CaseFile) -> set[str]:
    """The accused listings (`accused_listings`) as compared with a product's or an export line's ID
    (`text_key`)."""
    return {text_key(listing) for listing in accused_listings(data)}


def as_counted(data: CaseFile, sales: AccusedSales) -> list[Product]:
    """`products` as the documents count them, so a table of the products agrees with the totals beneath
    it: accused when among the accused listings (`sales.listings` of case.yaml, else `accused: true`), an
    accused listing's units and revenue the sales export's when there is one (case.yaml's may differ, and
    the build says so), and an accused listing only `sales.listings` names added, with the export's
    figures and title. A listing sold in several currencies has their amounts as its revenue, which the
    `money` filter joins (`US$10.00 + €5.00`)."""
    wanted = accused_listings(data)
    counted: dict[str, list[SalesRow]] = {}
    for row in sales.rows if sales.from_export else []:
        counted.setdefault(text_key(row.listing_id), []).append(row)

    def figures(rows: list[SalesRow]) -> dict[str, object]:
        revenue: object = rows[0].amount.amount if len(rows) == 1 else [row.amount for row in rows]
        units = sum(row.units for row in rows)
        return {"units_sold": units, "revenue": revenue, "currency": rows[0].amount.currency}

    accused = accused_keys(data)
    result = []
    for product in data.products:
        key = text_key(product.listing_id)
        update: dict[str, object] = {
            "accused": key in accused,
            **(figures(counted[key]) if key in counted else {}),
        }
        result.append(product.model_copy(update=update))
    listed = {text_key(product.listing_id) for product in data.products}
    for listing in wanted:
        rows = counted.get(text_key(listing))
        if rows and text_key(listing) not in listed:  # named by `sales.listings` alone
            title = next((row.title for row in rows if row.title), "")
            added = Product.model_construct(listing_id=listing, title=title, accused=True)
            result.append(added.model_copy(update=figures(rows)))
    return result


def _overruled(case: Case) -> list[str]:
    """A warning for each product whose `accused:` `sales.listings` overrules: the documents count the
    listings `sales.listings` names as the accused ones (`as_counted`), whatever `accused:` says."""
    listed = {text_key(listing) for listing in case.data.sales.listings}
    if not listed:
        return []
    warnings = []
    for index, product in enumerate(case.data.products):
        named = text_key(product.listing_id) in listed
        if product.accused != named:
            said, names, counted = ("true", "does not name", "not accused")
            if not product.accused:
                said, names, counted = ("false", "names", "accused")
            warnings.append(
                f"{case.where('products', index, 'accused')}: {product.listing_id} has accused: {said}, but "
                f"sales.listings {names} it, so the documents count it as {counted}; make the two agree "
                "(涉案链接以 sales.listings 为准)"
            )
    return warnings


def from_products(data: CaseFile) -> AccusedSales:
    """The figures of `products` for the accused listings (no export named)."""
    wanted = accused_listings(data)
    by_id = {product.listing_id: product for product in data.products}
    rows = [
        SalesRow(
            product.listing_id,
            product.title,
            product.title_zh,
            product.units_sold,
            Money(product.revenue, product.currency),
        )
        for product in (by_id[listing] for listing in wanted if listing in by_id)
    ]
    return AccusedSales(rows, _totals(rows, data), _frozen(data))


def accused_sales(case: Case, exhibits: Sequence[Exhibit] = ()) -> tuple[AccusedSales, list[str]]:
    """The accused sales of a case, and warnings about them; raises CaseDataError when the export named in
    case.yaml is missing, unreadable or lacks a mapped column, or a counted line holds a value that is not
    a number, an amount, a currency or a date."""
    path = export_path(case)
    sales, read = (from_products(case.data), []) if path is None else _from_export(case, path, exhibits)
    warnings = _unstated(case, sales) + read + _overruled(case) + _freeze_claim(case, sales)
    return sales, warnings + _contradicted(case, sales) + _narrowing(case, sales)


def _from_export(case: Case, path: Path, exhibits: Sequence[Exhibit]) -> tuple[AccusedSales, list[str]]:
    """The accused sales the export at `path` counts, and the warnings of reading it."""
    data = case.data
    settings = data.sales
    wanted = accused_listings(data)
    export = read_export(case, path, wanted)
    rows = _rows(data, wanted, export.counted, export.titles)
    dates = [line.date for line in export.counted if line.date is not None]
    sales = AccusedSales(
        rows,
        _totals(rows, data),
        _frozen(data),
        file=settings.file,
        sheet=export.sheet,
        sha256=sha256_of(path),
        exhibit=next((exhibit for exhibit in exhibits if exhibit.file == settings.file), None),
        rows_read=export.rows_read,
        rows_counted=len(export.counted),
        left_out=[LeftOut(*reason, count) for reason, count in export.left_out.items() if count],
        countries=list(settings.countries),
        period_start=settings.date_from,
        period_end=settings.date_to,
        first_order=min(dates) if dates else None,
        last_order=max(dates) if dates else None,
        units_column=settings.columns.quantity if settings.columns else "",
        amount_column=settings.columns.amount if settings.columns else "",
    )
    return sales, _warnings(case, sales, export.listings_seen, wanted, path)


FIGURES = ("units_sold", "revenue")


def _unstated(case: Case, sales: AccusedSales) -> list[str]:
    """A warning for each product whose units sold or revenue case.yaml leaves out where the documents print
    them: they would print 0 units, US$0.00 as if it sold nothing (the letter's table prints every listing;
    an accused listing's figures are the export's when there is one). The declaration swears to the accused
    listings' figures: one left out is an error when the request to narrow the freeze is asked for."""
    accused = accused_keys(case.data)
    warnings, errors = [], []
    for index, product in enumerate(case.data.products):
        left_out = [name for name in FIGURES if name not in product.model_fields_set]
        counted = text_key(product.listing_id) in accused
        if not left_out or (counted and sales.from_export):
            continue
        where = f"{case.where('products', index)}: {product.listing_id} has no {' and no '.join(left_out)}"
        export = ", or name the platform's sales export in sales.file" if counted else ""  # (none yet)
        advice = (
            f"give units_sold and revenue, its sales to the United States (0 if it sold none there){export} "
            "(请填写对美销量与销售额，未售出填0)"
        )
        nothing = money(Money(Decimal(0), product.currency))
        if counted and case.data.bundle.freeze_narrowing:
            errors.append(
                f"{where}, yet the declaration would swear it sold 0 units for {nothing} to the United "
                f"States; {advice}"
            )
        else:
            warnings.append(
                f"{where}: the letter prints 0 units and {nothing} for it, as if it sold none; {advice}"
            )
    if errors:
        raise CaseDataError(errors)
    return warnings


def _narrowing(case: Case, sales: AccusedSales) -> list[str]:
    """Warnings about the request to narrow the freeze (`bundle.freeze_narrowing`) and its declaration: an
    export they rest on that is no exhibit (the reader cannot check the figures), and a request to narrow
    the freeze to more than is frozen."""
    if not case.data.bundle.freeze_narrowing:
        return []
    found = []
    if sales.file and sales.exhibit is None:
        found.append(
            f"{case.where('sales', 'file')}: {sales.file} is not among the exhibits, yet the request and the "
            "declaration rest on it: add it to evidence: so that their readers can check the figures"
        )
    if sales.excess is not None and sales.excess.amount == 0 and sales.frozen and sales.total:
        where = case.where("bundle", "freeze_narrowing")
        found.append(
            f"{where}: the request asks to narrow the freeze to the accused revenue, {money(sales.total)}, "
            f"which is not less than the {money(sales.frozen)} frozen"
        )
    return found


def _freeze_claim(case: Case, sales: AccusedSales) -> list[str]:
    """A warning when the letter says the freeze exceeds the accused sales (the ground `freeze_excessive`)
    and the figures do not show it: no amount frozen is given, the amount frozen is not more than the
    revenue, or the two are in different currencies, which the letter shows side by side without
    converting them."""
    if Ground.FREEZE_EXCESSIVE not in case.data.position.grounds:
        return []
    where = case.where("position", "grounds")
    claim = f"{where}: freeze_excessive: the letter says the freeze exceeds the accused sales"
    if sales.frozen is None:
        return [
            f"{claim}, but case.amount_frozen is not given; add the amount frozen, from the platform's "
            "notice (冻结金额)"
        ]
    if not sales.rows:
        return []
    frozen, revenue = money(sales.frozen), " + ".join(money(total) for total in sales.totals)
    if sales.excess is not None and sales.excess.amount == 0:
        return [f"{claim}, but {frozen} frozen is not more than {revenue} of accused revenue"]
    if not sales.comparable:
        return [
            f"{claim}, and shows {frozen} frozen beside {revenue} of accused revenue, in different "
            "currencies and not converted: make sure the amount frozen is the larger"
        ]
    return []


def _contradicted(case: Case, sales: AccusedSales) -> list[str]:
    """What the letter would claim that the accused sales it prints beside it contradict: no sales to the
    United States (the ground `no_us_sales`) while some are counted; and revenue taken as US dollars, its
    currency left out, in a case whose frozen balance is in another currency."""
    data, found = case.data, []
    counted = [row for row in sales.rows if row.units or row.amount.amount]
    if Ground.NO_US_SALES in data.position.grounds and counted:
        units = sum(row.units for row in counted)
        figures = " + ".join(money(total) for total in sales.totals)
        found.append(
            f"{case.where('position', 'grounds')}: no_us_sales: the letter says nothing was sold to the "
            f"United States, but {sales.file or 'products'} counts {units} unit{'s' if units != 1 else ''} "
            f"({figures}) of the accused listings, which it prints too; remove no_us_sales, or correct the "
            "figures (理由与销售数据矛盾)"
        )
    frozen = data.case.amount_frozen
    if frozen is not None and frozen.currency != "USD" and not sales.from_export:
        for index, product in enumerate(data.products):
            if product.revenue and "currency" not in product.model_fields_set:
                found.append(
                    f"{case.where('products', index, 'revenue')}: taken as US dollars (no currency is "
                    f"given), while the amount frozen is in {frozen.currency}; add currency: "
                    f"{frozen.currency} if the revenue is in that currency, or currency: USD (请注明币种)"
                )
    return found


def export_path(case: Case) -> Path | None:
    """The sales export named in case.yaml, checked to be a file inside the case folder; None if none."""
    if not case.data.sales.file:
        return None
    try:
        return resolve_file(case.folder, case.data.sales.file)
    except EvidenceError as error:
        raise CaseDataError([f"{case.where('sales', 'file')}: {error}"]) from error


def _rows(data: CaseFile, wanted: list[str], counted: list[Line], titles: dict[str, str]) -> list[SalesRow]:
    """One row per accused listing and currency, in the order of the accused listings; a listing without
    counted lines has one row with nothing sold."""
    products = {text_key(product.listing_id): product for product in data.products}
    sums: dict[str, dict[str, _Sum]] = {}
    for line in counted:
        sums.setdefault(text_key(line.listing), {}).setdefault(line.currency, _Sum()).add(line)
    fallback = _currency(data)
    rows = []
    for listing in wanted:
        key = text_key(listing)
        product = products.get(key)
        title = product.title if product else titles.get(key, "")
        title_zh = product.title_zh if product else ""
        for currency, sum_ in (sums.get(key) or {fallback: _Sum()}).items():
            rows.append(
                SalesRow(listing, title, title_zh, sum_.units, Money(sum_.amount, currency), sum_.orders)
            )
    return rows


@dataclass
class _Sum:
    orders: int = 0
    units: int = 0
    amount: Decimal = Decimal(0)

    def add(self, line: Line) -> None:
        self.orders += 1
        self.units += line.quantity
        self.amount += line.amount


def _totals(rows: list[SalesRow], data: CaseFile) -> list[Money]:
    """The revenue per currency, in the order the currencies first appear; zero (in `_currency`) when
    there is nothing to sum."""
    sums: dict[str, Decimal] = {}
    for row in rows:
        sums[row.amount.currency] = sums.get(row.amount.currency, Decimal(0)) + row.amount.amount
    return [Money(amount, currency) for currency, amount in sums.items()] or [
        Money(Decimal(0), _currency(data))
    ]


def _currency(data: CaseFile) -> str:
    """The currency of a zero: `sales.currency`, else that of the amount frozen, else USD."""
    frozen = data.case.amount_frozen
    return data.sales.currency or (frozen.currency if frozen else "USD")


def _frozen(data: CaseFile) -> Money | None:
    frozen = data.case.amount_frozen
    return Money(frozen.amount, frozen.currency) if frozen else None


def _warnings(case: Case, sales: AccusedSales, seen: list[str], wanted: list[str], path: Path) -> list[str]:
    """What a careful reader should check: an export in which no accused listing appears (a wrong column
    mapped?), and products whose figures differ from the export's."""
    warnings = []
    shown = display_path(path)
    found = {text_key(listing) for listing in seen}
    if wanted and seen and not any(text_key(listing) in found for listing in wanted):
        column = case.data.sales.columns.listing if case.data.sales.columns else ""
        examples = ", ".join(seen[:3])
        warnings.append(
            f"{shown}: none of the accused listings ({', '.join(wanted)}) appears in the column “{column}”, "
            f"which holds e.g. {examples}; check sales.columns.listing and the listing IDs"
        )
    for index, product in enumerate(case.data.products):
        if product.listing_id not in wanted or (product.units_sold == 0 and product.revenue == 0):
            continue
        mine = [row for row in sales.rows if row.listing_id == product.listing_id]
        units = sum(row.units for row in mine)
        amounts = [row.amount for row in mine]
        typed = Money(product.revenue, product.currency)
        if units != product.units_sold or amounts != [typed]:
            export_figures = " + ".join(money(amount) for amount in amounts) or "nothing"
            warnings.append(
                f"{case.where('products', index)}: {product.listing_id} has {product.units_sold} units, "
                f"{money(typed)} in case.yaml but {units} units, {export_figures} in {shown}; the documents "
                "use the export's figures"
            )
    return warnings
