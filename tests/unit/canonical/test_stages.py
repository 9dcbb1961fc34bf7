"""Stage mapping: defaults, overrides, won/lost from metadata, and unmapped stages reported, never guessed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dealsync.canonical import Stage, StageInfo, StageMapper, Status


def sf_stage(name: str, *, closed: bool = False, won: bool = False, order: int = 0) -> StageInfo:
    return StageInfo(id=name, label=name, is_closed=closed, is_won=won, display_order=order)


@pytest.mark.parametrize(
    ("stage_name", "expected"),
    [
        ("Prospecting", Stage.PROSPECTING),
        ("Qualification", Stage.QUALIFICATION),
        ("Needs Analysis", Stage.INITIAL_CONTACT),
        ("Value Proposition", Stage.INITIAL_CONTACT),
        ("Id. Decision Makers", Stage.INITIAL_CONTACT),
        ("Perception Analysis", Stage.PROPOSAL),
        ("Proposal/Price Quote", Stage.PROPOSAL),
        ("Negotiation/Review", Stage.NEGOTIATION),
    ],
)
def test_salesforce_defaults(stage_name: str, expected: Stage) -> None:
    resolved = StageMapper("sf-main", "salesforce").resolve(sf_stage(stage_name))
    assert (resolved.stage, resolved.status, resolved.unmapped) == (expected, Status.OPEN, None)


@pytest.mark.parametrize(
    ("stage_id", "expected"),
    [
        ("appointmentscheduled", Stage.QUALIFICATION),
        ("qualifiedtobuy", Stage.INITIAL_CONTACT),
        ("presentationscheduled", Stage.PROPOSAL),
        ("decisionmakerboughtin", Stage.NEGOTIATION),
        ("contractsent", Stage.NEGOTIATION),
    ],
)
def test_hubspot_defaults(stage_id: str, expected: Stage) -> None:
    info = StageInfo(id=stage_id, label=stage_id, pipeline="default", probability=Decimal("0.4"))
    assert StageMapper("hs-main", "hubspot").resolve(info).stage is expected


def test_won_comes_from_metadata_not_the_label() -> None:
    mapper = StageMapper("sf-main", "salesforce")
    oddly_named_win = sf_stage("Signed!", closed=True, won=True)
    assert mapper.resolve(oddly_named_win) == mapper.resolve(sf_stage("Closed Won", closed=True, won=True))
    assert mapper.resolve(oddly_named_win).stage is Stage.POST_SALE
    assert mapper.resolve(oddly_named_win).status is Status.WON
    # A stage *called* "Closed Won" that the CRM says is open is not a win.
    assert mapper.resolve(sf_stage("Closed Won")).status is Status.OPEN


def test_lost_keeps_the_last_open_stage_else_negotiation() -> None:
    mapper = StageMapper("sf-main", "salesforce")
    lost = sf_stage("Closed Lost", closed=True)
    assert mapper.resolve(lost, last_open_stage=Stage.PROPOSAL).stage is Stage.PROPOSAL
    assert mapper.resolve(lost).stage is Stage.NEGOTIATION
    assert mapper.resolve(lost).status is Status.LOST


def test_unmapped_stage_is_reported_with_the_config_line_to_add() -> None:
    info = StageInfo(id="1234567", label="Legal review", pipeline="renewals")
    resolved = StageMapper("hs-main", "hubspot").resolve(info)
    assert resolved.stage is None
    assert resolved.status is Status.OPEN
    assert resolved.unmapped == (
        "stage 'Legal review' (id '1234567') in pipeline 'renewals' of connection 'hs-main' maps to no canonical "
        'stage; add it under connections[hs-main].stage_map, e.g. stage_map: {"1234567": qualification}'
    )


def test_overrides_merge_over_defaults() -> None:
    mapper = StageMapper(
        "sf-main", "salesforce", stage_map={"Discovery": Stage.QUALIFICATION, "Prospecting": Stage.LEAD_GENERATION}
    )
    assert mapper.resolve(sf_stage("Discovery")).stage is Stage.QUALIFICATION
    assert mapper.resolve(sf_stage("Prospecting")).stage is Stage.LEAD_GENERATION
    assert mapper.resolve(sf_stage("Qualification")).stage is Stage.QUALIFICATION


def test_write_target_leaves_a_deal_already_there_alone() -> None:
    mapper = StageMapper("sf-main", "salesforce")
    stages = {s.id: s for s in (sf_stage("Needs Analysis", order=3), sf_stage("Value Proposition", order=4))}
    assert mapper.write_target(Stage.INITIAL_CONTACT, stages["Value Proposition"], stages) is None


def test_write_target_prefers_the_write_map_then_the_first_open_stage() -> None:
    stages = {
        s.id: s
        for s in (
            sf_stage("Value Proposition", order=4),
            sf_stage("Needs Analysis", order=3),
            sf_stage("Prospecting", order=1),
        )
    }
    current = stages["Prospecting"]
    assert StageMapper("sf", "salesforce").write_target(Stage.INITIAL_CONTACT, current, stages) == "Needs Analysis"
    mapped = StageMapper("sf", "salesforce", stage_write_map={Stage.INITIAL_CONTACT: "Value Proposition"})
    assert mapped.write_target(Stage.INITIAL_CONTACT, current, stages) == "Value Proposition"


def test_stage_order_follows_the_pipeline() -> None:
    assert [s.order for s in Stage] == [1, 2, 3, 4, 5, 6, 7]
    assert [s.value for s in Stage] == [
        "lead_generation",
        "prospecting",
        "qualification",
        "initial_contact",
        "proposal",
        "negotiation",
        "post_sale",
    ]
