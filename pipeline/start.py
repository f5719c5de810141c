"""Start a case: write a commented `case.yaml` and an empty `evidence/` folder for `build-appeal init`.

The comments are in English and Chinese, since the seller often writes Chinese. Every value the user gave
is written in (quoted as YAML needs it); every required value not given is a `TODO:` placeholder that
`build-appeal check` refuses until it is replaced, so no placeholder can reach a bundle unnoticed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, fields
from pathlib import Path

from pipeline.doubts import CHINESE
from pipeline.errors import CaseDataError
from pipeline.load import CASE_FILE, PLACEHOLDER, Case, display_path, strings_of
from pipeline.model import Language, Platform

TODO = PLACEHOLDER
"""How a placeholder starts; `check` reports every field that still does."""


@dataclass(frozen=True)
class Answers:
    """What `init` asks for; None means not given (a placeholder is written)."""

    language: Language = Language.BILINGUAL
    platform: Platform | None = None
    merchant: str | None = None
    merchant_zh: str | None = None
    store: str | None = None
    contact: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    case_number: str | None = None
    court: str | None = None
    plaintiff: str | None = None
    firm: str | None = None
    notified: dt.date | None = None


QUESTIONS = {
    "merchant": "Company name in English / 公司英文名称",
    "merchant_zh": "Company name in Chinese (optional) / 公司中文名称（可不填）",
    "store": "Store name on the platform / 店铺名称",
    "contact": "Contact person / 联系人",
    "email": "Contact e-mail / 联系邮箱",
    "phone": "Contact phone / 联系电话",
    "address": "Company address / 公司地址",
    "case_number": "Case number, e.g. 1:24-cv-02015 / 案号",
    "court": "Court, in full, as the notice names it / 法院全称（见平台通知）",
    "plaintiff": "Plaintiff / 原告",
    "firm": "Plaintiff's law firm / 原告律所",
}
"""The free-text questions, in the order asked on a terminal."""

CHINESE_FIELDS = {"merchant": "merchant_zh", "contact": "contact_zh", "address": "address_zh"}
"""The answers that have a Chinese field beside them in case.yaml (name_zh, contact_person_zh, address_zh),
each with its Chinese one's name. A Chinese answer goes there, and the English field is left a placeholder:
written as it was, every letterhead showed the company's Chinese name twice and the signature read
"王小明 王小明"."""


def start_case(folder: Path, answers: Answers) -> Path:
    """Write `folder/case.yaml` and `folder/evidence/`; refuse to touch an existing case."""
    path = folder / CASE_FILE
    if path.exists():
        raise CaseDataError([f"{display_path(path)} already exists; init never overwrites a case"])
    if folder.exists() and not folder.is_dir():
        raise CaseDataError([f"{display_path(folder)} is a file, not a folder"])
    (folder / "evidence").mkdir(parents=True, exist_ok=True)
    path.write_text(case_yaml(answers), encoding="utf-8")
    return path


def case_yaml(answers: Answers) -> str:
    """The text of a new case.yaml: the user's answers, placeholders for the rest, comments in both
    languages."""
    given, moved = _in_their_fields(answers)
    value = {name: _scalar(answer, name, english=name in moved) for name, answer in given.items()}
    notified = answers.notified.isoformat() if answers.notified else dt.date.today().isoformat()
    return f"""\
# yaml-language-server: $schema=../../docs/case.schema.json
# A new case. Replace every TODO, add your evidence files to evidence/ and list them below, then run
#   build-appeal check <this folder>     (checks everything in a second)
#   build-appeal <this folder>           (builds the documents and the bundle)
# 新案件：请替换所有 TODO，把证据文件放进 evidence/ 文件夹并在下方列出，然后运行上面两条命令。
# Every field is described in docs/case-format.md. / 各字段说明见 docs/case-format.md。

language: {answers.language.value}  # en, zh or bilingual / 文件语言：英文、中文或双语

merchant:                                     # your company / 贵司信息
  name_en: {value["merchant"]}
  name_zh: {value["merchant_zh"]}
  store_name: {value["store"]}
  platform: {value["platform"]}               # Alibaba.com, AliExpress, Amazon, Walmart, DHgate or Other
  contact_person: {value["contact"]}
  contact_person_zh: {value["contact_zh"]}
  email: {value["email"]}
  phone: {value["phone"]}
  address: {value["address"]}
  address_zh: {value["address_zh"]}

case:                                         # from the platform's notice / 来自平台通知
  number: {value["case_number"]}
  court: {value["court"]}                      # e.g. United States District Court for the N.D. of Illinois
  plaintiff: {value["plaintiff"]}
  counsel:
    firm: {value["firm"]}
    # email: someone@lawfirm.example          # the plaintiff's counsel's e-mail / 原告律师邮箱
  notified_date: {notified}                   # when you learned of the case / 得知案件的日期
  # tro_date: 2024-03-11                      # the TRO's date, for the deadlines / 临时限制令日期
  # served_date: 2024-03-15                   # when you were served (e-mail counts) / 送达日期
  # amount_frozen:                            # the balance frozen / 被冻结金额
  #   amount: 48630.25
  #   currency: USD

products: []                                  # your listings; mark the accused ones / 商品链接，标明涉案链接
  # - listing_id: "1600987654321"
  #   title: LED Aroma Diffuser
  #   accused: true
  #   units_sold: 14
  #   revenue: 209.30

position:
  grounds: []                                 # e.g. [authorised_reseller, freeze_excessive] / 申诉理由:
  #   authorised_reseller 授权经销, own_brand 自有品牌, not_accused_product 非涉案商品,
  #   no_us_sales 未向美国销售, listing_removed 链接已下架, freeze_excessive 冻结金额过高
  statement: |
    TODO: say in a few sentences why your store should not be restricted (who makes what you sell, why
    it does not infringe, how little of the frozen balance comes from the accused listings).
  # statement_zh: |
  #   用几句话说明理由。

requests:
  - text: Release the frozen balance, or limit the freeze to the accused sales.
    text_zh: 解除冻结资金，或将冻结金额限制在涉案销售额以内。

evidence: []                                  # one entry per file in evidence/ / 每个证据文件一条
  # - file: evidence/invoice.pdf
  #   title: Supplier invoice for the accused product
  #   title_zh: 涉案商品采购发票
  #   date: 2024-01-08
"""


def _in_their_fields(answers: Answers) -> tuple[dict[str, object], set[str]]:
    """The answers by the field each goes in, with `<name>_zh` (contact_zh, address_zh) for the Chinese of
    those of CHINESE_FIELDS; and the names of the answers typed in Chinese where the English goes. Those
    are moved to their Chinese field (unless it has an answer of its own) and left None, for a placeholder
    that asks for the English."""
    given: dict[str, object] = {field.name: getattr(answers, field.name) for field in fields(Answers)}
    given |= {chinese: None for chinese in CHINESE_FIELDS.values() if chinese not in given}
    moved = set()
    for name, chinese in CHINESE_FIELDS.items():
        answer = given[name]
        if isinstance(answer, str) and CHINESE.search(answer):
            given[chinese] = given[chinese] or answer
            given[name] = None
            moved.add(name)
    return given, moved


def _scalar(answer: object, name: str, english: bool = False) -> str:
    """An answer as a YAML scalar that reads back as the same string (quoted: a store ID like `0123` or
    a name with `: ` stays text); when not given, a placeholder (one that asks for the `english` when the
    answer was Chinese), or an empty string for a Chinese field."""
    if isinstance(answer, Language | Platform):
        return answer.value
    if answer is None or answer == "":
        if name in CHINESE_FIELDS.values():
            return '""'
        wanted = QUESTIONS.get(name, name).split(" / ")[0]
        wanted += " in English" if english and "English" not in wanted else ""
        return json.dumps(TODO + wanted, ensure_ascii=False)
    return json.dumps(str(answer), ensure_ascii=False)  # JSON strings are YAML double-quoted scalars


def placeholders(data: object) -> list[str]:
    """The field paths of the case data that still hold an `init` placeholder."""
    return [path for path, text in strings_of(data) if text.startswith(TODO)]


def placeholder_problems(case: Case) -> list[str]:
    """One line for each field of the case that still holds an `init` placeholder, naming its line."""
    return [
        f"{case.at(path)}: still the placeholder `init` wrote; write the real value"
        for path in placeholders(case.data)
    ]


def refuse_placeholders(case: Case) -> None:
    """Raise CaseDataError naming every `init` placeholder left: a letter must not say "TODO: Company name"
    to a court or a platform."""
    problems = placeholder_problems(case)
    if problems:
        raise CaseDataError(problems)
