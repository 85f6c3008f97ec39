"""One analysis of a dataset: every table of the method, as Python objects and as JSON.

The CLI report, the terminal tables and the API routes all serialise through the `*_json`
functions here, so they show the same numbers under the same names. Every count of support
(matrices, weights, co-occurrence, timeline) leaves out the codes whose direction is `context`:
those name the study's setting and are reported apart (`settings_json`); coder agreement counts
every code, since it measures the coding itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kg.analysis.agreement import Agreement, coder_agreement
from kg.analysis.appraisal import AppraisalSummary, summarise
from kg.analysis.cooccurrence import Pair, cooccurrence
from kg.analysis.dataset import Dataset
from kg.analysis.flow import Flow, screening_flow
from kg.analysis.matrix import (
    Matrix,
    columns,
    ordered,
    study_category_matrix,
    study_factor_matrix,
)
from kg.analysis.settings import Settings, settings
from kg.analysis.timeline import Year, timeline
from kg.analysis.weights import Weight, entropy_weights
from kg.errors import AnalysisError

# said wherever support is counted, so that no table is read as counting every code
SUPPORT_NOTE = (
    "Support only: a code whose direction is context names the study's setting and is not "
    "counted here; the settings are counted apart (Settings studied, /analysis/settings)."
)
WEIGHTS_NOTE = (
    "The weight rewards concentration, not breadth: a factor supported by one study only has "
    "E = 0 and the top weight. Read it beside the number of studies. "
    + SUPPORT_NOTE
    + " A factor that only names settings has no weight; a study coded only for its setting is "
    "a row of zeros (it counts in m)."
)
TIMELINE_NOTE = (
    "studies = every included study of the year; codes and each category's studies count "
    "support. " + SUPPORT_NOTE
)
SETTINGS_NOTE = (
    "A code whose direction is context names the study's setting, not an influence: it is "
    "counted here and in no count of support. A study is a setting of a factor when every code "
    "it has of the factor is a context code (a study that also supports the factor counts as "
    "support only, as in /factors); a category's settings are those of its factors."
)


@dataclass(frozen=True)
class Analysis:
    """Every result of the analytics for one dataset; `weights_error` says why there are none."""

    dataset: Dataset
    factor_matrix: Matrix
    category_matrix: Matrix
    weights: list[Weight]
    weights_error: str | None
    agreement: Agreement
    appraisal: AppraisalSummary
    flow: Flow
    pairs: list[Pair]
    years: list[Year]
    settings: Settings

    def factor_order(self) -> list[str]:
        """Factor ids grouped by category, in taxonomy order."""
        return [row.factor for row in self.dataset.factors]


def analyse(dataset: Dataset, cutoff: float | None = None) -> Analysis:
    """Run every analysis of the method on a dataset."""
    factor_matrix = study_factor_matrix(dataset)
    try:
        weights, weights_error = entropy_weights(factor_matrix), None
    except AnalysisError as error:  # e.g. one study: the report says so instead of failing
        weights, weights_error = [], str(error)
    return Analysis(
        dataset,
        factor_matrix,
        study_category_matrix(dataset),
        weights,
        weights_error,
        coder_agreement(dataset),
        summarise(dataset, cutoff),
        screening_flow(dataset),
        cooccurrence(dataset),
        timeline(dataset),
        settings(dataset),
    )


def _labelled(dataset: Dataset, factor: str) -> dict[str, Any]:
    row = dataset.factor_rows.get(factor)
    return {
        "factor": factor,
        "label": dataset.label(factor),
        "label_fa": row.label_fa if row and row.label_fa else None,
        "category": row.category if row else None,
    }


def weights_json(analysis: Analysis) -> dict[str, Any]:
    """The entropy weights with ranks, the evidence beside each weight and the formula."""
    return {
        "build": analysis.dataset.build,
        "studies": len(analysis.factor_matrix),
        "formula": "p_ij = f_ij / sum_i f_ij; E_j = -(1/ln m) sum_i p_ij ln p_ij; "
        "d_j = 1 - E_j; W_j = d_j / sum_j d_j",
        "note": WEIGHTS_NOTE,
        "error": analysis.weights_error,
        "weights": [
            {
                **_labelled(analysis.dataset, w.factor),
                "rank": w.rank,
                "weight": w.weight,
                "entropy": w.entropy,
                "diversification": w.diversification,
                "studies": w.studies,
                "codes": w.codes,
            }
            for w in analysis.weights
        ],
    }


def matrix_json(analysis: Analysis, by: str) -> dict[str, Any]:
    """The study x factor (by="factor") or study x category (by="category") matrix."""
    matrix = analysis.factor_matrix if by == "factor" else analysis.category_matrix
    order = analysis.factor_order() if by == "factor" else analysis.dataset.categories
    names = columns(matrix, order)
    label = analysis.dataset.label if by == "factor" else analysis.dataset.category_label
    return {
        "build": analysis.dataset.build,
        "by": by,
        "note": SUPPORT_NOTE,
        "columns": [{"id": c, "label": label(c)} for c in names],
        "rows": [
            {"study": study, "counts": [matrix[study].get(c, 0) for c in names]}
            for study in sorted(matrix)
        ],
    }


def kappa_json(analysis: Analysis) -> dict[str, Any]:
    """Coder agreement: pairs with Cohen's kappa (overall and per factor), Fleiss' kappa."""
    agreement = analysis.agreement
    names = analysis.dataset.agents
    return {
        "build": analysis.dataset.build,
        "coders": [{"id": c, "name": names.get(c, c)} for c in agreement.coders],
        "message": agreement.message,
        "pairs": [
            {
                "first": p.first,
                "second": p.second,
                "studies": list(p.studies),
                "items": p.items,
                "observed_agreement": p.observed,
                "kappa": p.kappa,
                "band": p.band,
                "factors": [
                    {
                        "factor": f.factor,
                        "both": f.both,
                        "first_only": f.first_only,
                        "second_only": f.second_only,
                        "neither": f.neither,
                        "kappa": f.kappa,
                        "band": f.band,
                    }
                    for f in p.factors
                ],
            }
            for p in agreement.pairs
        ],
        "fleiss": None
        if agreement.fleiss is None
        else {
            "kappa": agreement.fleiss,
            "band": agreement.fleiss_band,
            "studies": list(agreement.fleiss_studies),
        },
    }


def appraisal_json(analysis: Analysis) -> dict[str, Any]:
    """The CASP appraisal summary per study and per criterion, with the cut-off applied."""
    summary = analysis.appraisal
    return {
        "build": analysis.dataset.build,
        "scale": summary.scale,
        "cutoff": summary.cutoff,
        "message": None
        if summary.appraisals
        else "No quality appraisals are recorded (data/appraisals.csv has no rows).",
        "note": "Some answers carry a score and some do not, so every total counts yes answers."
        if summary.partly_scored
        else None,
        "appraisals": [
            {
                "study": a.study,
                "appraiser": a.appraiser,
                "yes": a.yes,
                "cant_tell": a.cant_tell,
                "no": a.no,
                "total": a.total,
            }
            for a in summary.appraisals
        ],
        "studies": [
            {
                "study": s,
                "total": total,
                "passes": None if summary.cutoff is None else total >= summary.cutoff,
            }
            for s, total in summary.study_totals.items()
        ],
        "criteria": [
            {
                "criterion": c.criterion,
                "question": c.question,
                "yes": c.yes,
                "cant_tell": c.cant_tell,
                "no": c.no,
            }
            for c in summary.criteria
        ],
        "unappraised": summary.unappraised,
    }


def flow_json(analysis: Analysis) -> dict[str, Any]:
    """The PRISMA 2020 flow counts."""
    f = analysis.flow
    return {
        "build": analysis.dataset.build,
        "identified": f.identified,
        "awaiting_screening": f.awaiting,
        "screened": f.screened,
        "excluded_at_screening": f.excluded_at_screening,
        "assessed_for_eligibility": f.assessed,
        "excluded_at_fulltext": f.excluded_at_fulltext,
        "included": f.included,
    }


def cooccurrence_json(analysis: Analysis, minimum: int = 1) -> dict[str, Any]:
    """Pairs of factors coded in the same study, with the number of studies and their ids."""
    return {
        "build": analysis.dataset.build,
        "minimum": minimum,
        "note": SUPPORT_NOTE,
        "pairs": [
            {
                "first": p.first,
                "second": p.second,
                "first_label": analysis.dataset.label(p.first),
                "second_label": analysis.dataset.label(p.second),
                "studies": p.count,
                "study_ids": list(p.studies),
            }
            for p in analysis.pairs
            if p.count >= minimum
        ],
    }


def timeline_json(analysis: Analysis) -> dict[str, Any]:
    """Included studies and support codes per year, overall and per category."""
    return {
        "build": analysis.dataset.build,
        "note": TIMELINE_NOTE,
        "years": [
            {
                "year": y.year,
                "studies": y.studies,
                "codes": y.codes,
                "categories": [
                    {
                        "category": c,
                        "studies": y.category_studies.get(c, 0),
                        "codes": y.category_codes.get(c, 0),
                    }
                    for c in analysis.dataset.categories
                    if c in y.category_codes
                ],
            }
            for y in analysis.years
        ],
    }


def settings_json(analysis: Analysis) -> dict[str, Any]:
    """The settings studied, per category and per factor: the studies whose setting each is."""
    ds = analysis.dataset
    found = analysis.settings

    def fa(category: str) -> str | None:
        label = ds.category_label(category, "fa")
        return label if label != ds.category_label(category) else None

    return {
        "build": ds.build,
        "note": SETTINGS_NOTE,
        "studies": len(found.named),
        "unsupported": list(found.unsupported),
        "categories": [
            {
                "category": c,
                "label": ds.category_label(c),
                "label_fa": fa(c),
                "studies": len(found.categories[c]),
                "study_ids": list(found.categories[c]),
            }
            for c in ordered(found.categories, ds.categories)
        ],
        "factors": [
            {
                **_labelled(ds, f),
                "studies": len(found.factors[f]),
                "study_ids": list(found.factors[f]),
            }
            for f in ordered(found.factors, analysis.factor_order())
        ],
    }
