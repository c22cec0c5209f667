"""Risk profiles and questionnaires on the terminal, in English or Simplified Chinese."""

from __future__ import annotations

import re
from typing import Any

from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from roboadvisor.cli import render
from roboadvisor.domain.models import Tier
from roboadvisor.domain.questionnaire import Lang, Question, Questionnaire
from roboadvisor.domain.scoring import tier_for_score
from roboadvisor.services.assess import Assessment, explain, tier_label

_EN = {
    "title": "Risk profile", "tier": "Tier {k} · {label}",
    "suitability": "Investor suitability level C{k} · may hold products of risk level R{k} or "
                   "lower",
    "measure": "Measure", "score": "Score (0–100)", "score_tier": "Tier by score",
    "tolerance": "Risk tolerance (willingness)", "capacity": "Risk capacity (ability)",
    "combined": "Combined: the lower of the two", "limiting": "Limiting factor: {f}",
    "factor_tolerance": "tolerance", "factor_capacity": "capacity",
    "factor_both": "both (equal)", "knockouts": "Knock-outs", "answer": "Answer",
    "caps": "Caps tier at", "cap_cell": "{k} ({b})", "why": "Why", "binding": "binding",
    "not_binding": "not binding",
    "flags": "Consistency flags (tolerance {raw:.1f} → {t:.1f})",
    "scored_as": "scored {a:g} → {b:g}",
    "flag_line": "{rule} ({question}: {scored})",
    "explanation": "Explanation", "none": "none",
    "audit": "Audit: questionnaire {qid} v{ver} · {when} · answers SHA-256 {sha}",
    "questions": "Questions", "dimension": "Measures", "weight": "Weight", "option": "Option",
    "cutoffs": "Tier cut-offs (combined score)", "rules": "Consistency rules",
    "rule_line": "{cq} ∈ {co} with {rq} ∈ {ro} → {rq} scored at most {cap:g}",
    "languages": "Languages", "id": "Id", "version": "Version", "n_questions": "Questions",
    "tolerance_dim": "tolerance", "capacity_dim": "capacity", "from": "from {lo:g}",
    "max_tier": "knock-out: tier ≤ {k}",
}
_ZH = {
    "title": "风险测评结果", "tier": "第 {k} 级 · {label}",
    "suitability": "投资者适当性等级 C{k} · 可购买风险等级 R{k} 及以下的产品",
    "measure": "项目", "score": "得分（0–100）", "score_tier": "按得分的等级",
    "tolerance": "风险承受意愿", "capacity": "风险承受能力",
    "combined": "综合得分：取两者较低者", "limiting": "限制因素：{f}",
    "factor_tolerance": "风险承受意愿", "factor_capacity": "风险承受能力",
    "factor_both": "两者相同", "knockouts": "等级上限条件", "answer": "回答",
    "caps": "等级上限", "cap_cell": "{k}（{b}）", "why": "原因", "binding": "已生效",
    "not_binding": "未改变结果",
    "flags": "矛盾回答（风险承受意愿 {raw:.1f} → {t:.1f}）",
    "scored_as": "计分 {a:g} → {b:g}",
    "flag_line": "“{cautious}”与“{risky}”相互矛盾（后者{scored}）",
    "explanation": "说明", "none": "无",
    "audit": "审计：问卷 {qid} v{ver} · {when} · 答案 SHA-256 {sha}",
    "questions": "题目", "dimension": "评估", "weight": "权重", "option": "选项",
    "cutoffs": "等级分界（综合得分）", "rules": "一致性规则",
    "rule_line": "{cq} ∈ {co} 且 {rq} ∈ {ro} → {rq} 最多计 {cap:g} 分",
    "languages": "语言", "id": "编号", "version": "版本", "n_questions": "题数",
    "tolerance_dim": "意愿", "capacity_dim": "能力", "from": "{lo:g} 分起",
    "max_tier": "等级上限 {k}",
}


def _t(lang: Lang | str) -> dict[str, str]:
    return _ZH if Lang(lang) is Lang.ZH else _EN


# --- assessments --------------------------------------------------------------------------------
def show_assessment(assessment: Assessment, lang: str = "en") -> None:
    """The risk profile panel: scores, limiting factor, tier, knock-outs, flags, explanation."""
    lang = Lang(lang)
    t, p = _t(lang), assessment.profile
    k = int(p.tier)
    head = Text.assemble((t["tier"].format(k=k, label=tier_label(p.tier, lang)), "bold"), "\n",
                         t["suitability"].format(k=k))
    parts: list[Any] = [head, "", _scores_table(assessment, lang)]
    if p.knockouts:
        parts += ["", _knockouts_table(assessment, lang)]
    if p.flags:
        parts += ["", _flags(assessment, lang)]
    parts += ["", Text(t["explanation"], style="bold"), _bullets(explain(assessment, lang))]
    title = f"{t['title']} · {assessment.questionnaire.title.get(lang)}"
    console = render.out()
    console.print(Panel(Group(*parts), title=title, title_align="left", expand=False,
                        box=box.ROUNDED, padding=(0, 1)))
    console.print(t["audit"].format(qid=assessment.questionnaire_id,
                                    ver=assessment.questionnaire_version,
                                    when=assessment.assessed_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                                    sha=assessment.answers_sha256), style="dim", soft_wrap=True)


def _scores_table(assessment: Assessment, lang: Lang) -> Table:
    t, p, q = _t(lang), assessment.profile, assessment.questionnaire
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column(t["measure"])
    table.add_column(t["score"], justify="right")
    table.add_column(t["score_tier"])
    for key, score in (("tolerance", p.tolerance_score), ("capacity", p.capacity_score),
                       ("combined", p.combined_score)):
        tier = tier_for_score(score, q.tier_cutoffs)
        table.add_row(t[key], f"{score:.1f}", f"{int(tier)} {tier_label(tier, lang)}",
                      style="bold" if key == "combined" else None)
    table.caption = t["limiting"].format(f=t["factor_" + p.limiting_factor.value])
    table.caption_justify = "left"
    return table


def _knockouts_table(assessment: Assessment, lang: Lang) -> Table:
    t, q = _t(lang), assessment.questionnaire
    table = Table(title=t["knockouts"], title_justify="left", title_style="bold",
                  box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for name in (t["answer"], t["caps"], t["why"]):
        table.add_column(name, overflow="fold")
    for k in assessment.profile.knockouts:
        question = q.question(k.question_id)
        option = question.option(k.option_id)
        answer = Text.assemble((short_text(question.text.get(lang)), "dim"), "\n→ ",
                               option.text.get(lang) if option else k.option_id)
        table.add_row(answer, t["cap_cell"].format(
                          k=int(k.max_tier), b=t["binding" if k.binding else "not_binding"]),
                      Text(k.reason.get(lang)), style=None if k.binding else "dim")
    return table


def _bullets(lines: tuple[str, ...], mark: str = "•") -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")  # Chinese has no spaces to wrap at
    for line in lines:
        grid.add_row(mark, Text(line))
    return grid


def _flags(assessment: Assessment, lang: Lang) -> Group:
    t, p = _t(lang), assessment.profile
    lines: list[Any] = [Text(t["flags"].format(raw=p.tolerance_score_unflagged,
                                               t=p.tolerance_score), style="bold yellow")]
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, style="yellow")
    grid.add_column(overflow="fold")
    q = assessment.questionnaire
    for f in p.flags:
        scored = t["scored_as"].format(a=f.original_score, b=f.scored_as)
        risky = q.question(f.risky_question)
        cautious = q.question(f.cautious_question).option(f.cautious_option)
        risky_option = risky.option(f.risky_option)
        line = t["flag_line"].format(
            rule=f.rule_id, scored=scored, question=f.risky_question,
            cautious=cautious.text.get(lang) if cautious else f.cautious_option,
            risky=risky_option.text.get(lang) if risky_option else f.risky_option)
        grid.add_row("!", Text.assemble((line, "dim"), "\n", f.message.get(lang)))
    return Group(*lines, grid)


_FIRST_SENTENCE = re.compile(r"^(.*?(?:[？。！]|[.?!](?=\s|$)))")


def short_text(text: str) -> str:
    """A question's short form: its first sentence (most questions are one sentence)."""
    text = " ".join(text.split())
    found = _FIRST_SENTENCE.match(text)
    return found.group(1) if found else text


# --- questionnaires -----------------------------------------------------------------------------
def show_questionnaire_list(questionnaires: tuple[Questionnaire, ...], lang: str = "en") -> None:
    t = _t(lang)
    table = Table(box=box.SIMPLE_HEAD)
    for name in (t["id"], t["version"], t["n_questions"], t["languages"], ""):
        table.add_column(name)
    for q in questionnaires:
        shown = Lang(lang) if Lang(lang) in q.languages else q.languages[0]
        table.add_row(q.id, str(q.version), str(len(q.questions)),
                      ", ".join(x.value for x in q.languages), q.title.get(shown))
    render.out().print(table)


def show_questionnaire(q: Questionnaire, lang: str = "en") -> None:
    """Every question with its options' scores and knock-outs, the cut-offs and the rules."""
    t, console = _t(lang), render.out()
    console.print(Panel(Text(q.description.get(lang)), title=f"{q.title.get(lang)} ({q.key})",
                        title_align="left", expand=False))
    for i, question in enumerate(q.questions, 1):
        console.print()
        console.print(Text.assemble((f"{i}. ", "bold"), (question.text.get(lang), "bold"),
                                    (f"  {question.id} · {t[question.dimension.value + '_dim']}"
                                     f" × {question.weight:g}", "dim")))
        console.print(_options_table(question, lang))
    console.print()
    console.print(Text(t["cutoffs"], style="bold"))
    for tier, lo in enumerate((0.0, *q.tier_cutoffs), 1):
        console.print(f"  {tier} {tier_label(Tier(tier), lang)} (C{tier}, ≤R{tier}): "
                      + t["from"].format(lo=lo), soft_wrap=True, markup=False)
    if q.rules:
        console.print()
        console.print(Text(t["rules"], style="bold"))
        for r in q.rules:
            console.print(f"  {r.id}: " + t["rule_line"].format(
                cq=r.cautious_question, co=_ids(r.cautious_options), rq=r.risky_question,
                ro=_ids(r.risky_options), cap=r.cap), soft_wrap=True, markup=False)


def _options_table(question: Question, lang: str) -> Table:
    t = _t(lang)
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column(style="cyan", no_wrap=True)
    table.add_column()
    table.add_column(justify="right")
    table.add_column(style="yellow")
    for option in question.options:
        table.add_row(f"  {option.id}", Text(option.text.get(lang)), f"{option.score:g}",
                      t["max_tier"].format(k=int(option.max_tier)) if option.max_tier else "")
    return table


def _ids(ids: frozenset[str]) -> str:
    return "{" + ", ".join(sorted(ids)) + "}"
