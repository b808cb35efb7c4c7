"""The one typed schema of ``HUB_CONFIG`` (the built-in defaults in ``hub/defaults.yaml`` are
validated by it too). Every mapping is closed unless it is the user's own namespace (alert rules,
owners, answer -> points tables, stage maps): an unknown key is an error with a suggestion, a
wrong type names the key path and the expected type.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Number = float


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


# -- airtable -----------------------------------------------------------------------------------
class AirtableTables(Closed):
    applications: str
    interactions: str
    usage: str
    surveys: str


class ApplicationFields(Closed):
    application_id: str
    company: str
    contact_name: str
    email: str
    job_title: str
    phone: str
    website: str
    industry: str
    use_case: str
    volume_estimate: str
    technical_capability: str
    priority_level: str
    current_challenge: str
    priority_score: str
    status: str
    applied_on: str
    source: str
    assigned_to: str
    next_follow_up: str
    estimated_revenue: str
    deal_probability: str
    expected_close_date: str


class InteractionFields(Closed):
    interaction_id: str
    application: str
    type: str
    date: str
    duration: str
    summary: str
    owner: str
    sentiment: str


class UsageFields(Closed):
    customer: str
    date: str
    api_calls: str
    sign_operations: str
    verify_operations: str
    error_rate: str
    active_users: str
    storage_used: str
    cost: str


class SurveyFields(Closed):
    survey_id: str
    customer: str
    survey_type: str
    date_sent: str
    date_responded: str
    pmf_score: str
    satisfaction_score: str
    likelihood_to_pay: str
    testimonial: str
    case_study_willingness: str


class AirtableFields(Closed):
    applications: ApplicationFields
    interactions: InteractionFields
    usage: UsageFields
    surveys: SurveyFields


class Pacing(Closed):
    pace_margin: Number = Field(ge=0, lt=1)
    timeout_seconds: Number = Field(gt=0)
    max_attempts: int = Field(ge=1)
    retry_base_seconds: Number = Field(ge=0)
    retry_max_seconds: Number = Field(ge=0)
    lookback_seconds: Number = Field(ge=0)
    id_sweep_hours: Number = Field(ge=0)


class Airtable(Pacing):
    tables: AirtableTables
    fields: AirtableFields
    last_modified_fields: dict[str, str]
    detect_last_modified: bool
    requests_per_second: Number = Field(gt=0)
    lockout_seconds: Number = Field(ge=0)
    page_size: int = Field(ge=1, le=100)
    connect_timeout_seconds: Number = Field(gt=0)
    max_listing_restarts: int = Field(ge=0)


# -- scoring -------------------------------------------------------------------------------------
class Tier(Closed):
    points: int
    min_chars: int | None = None
    max_days: Number | None = None


class LeadScore(Closed):
    industry_fit: dict[str, int]
    priority_level: dict[str, int]
    volume_estimate: dict[str, int]
    technical_capability: dict[str, int]
    use_case_detail: list[Tier]
    response_time: list[Tier]
    auto_assign_above: Number
    alert_above: Number


class HealthWeights(Closed):
    usage: Number = Field(ge=0)
    support: Number = Field(ge=0)
    relationship: Number = Field(ge=0)
    outcomes: Number = Field(ge=0)


class Bands(Closed):
    excellent: Number
    good: Number
    at_risk: Number
    critical: Number


class Levels(Closed):
    excellent: Number
    good: Number


class HealthUsage(Closed):
    volume: Number
    activity: Number
    reliability: Number
    error_rate_at_zero: Number = Field(gt=0)
    max_trend_penalty: Number = Field(ge=0, le=1)
    expected_stages: list[str]


class HealthSupport(Closed):
    open_ticket: Number
    open_high_priority: Number
    high_priorities: list[str]
    new_ticket_30d: Number
    resolution_days_ok: Number
    resolution_penalty_per_day: Number
    resolution_penalty_max: Number


class HealthRelationship(Closed):
    contacts_points: dict[int, Number]
    recency_points: dict[int, Number]
    recency_stale_points: Number
    baseline_points: Number
    sentiment_points: Number


class Activation(Closed):
    team_min_active_users: int
    check_in_types: list[str]


class TimeToValue(Closed):
    within_7_days: Number
    within_14_days: Number
    later: Number


class OutcomeWeights(Closed):
    satisfaction: Number
    nps: Number
    pmf: Number
    likelihood_to_pay: Number
    activation: Number
    time_to_value: Number


class HealthOutcomes(Closed):
    latest_surveys: int = Field(ge=1)
    pmf_percent: Levels
    time_to_first_value_points: TimeToValue
    weights: OutcomeWeights


class Health(Closed):
    weights: HealthWeights
    bands: Bands
    api_calls_per_week: Levels
    usage: HealthUsage
    support: HealthSupport
    relationship: HealthRelationship
    activation: Activation
    outcomes: HealthOutcomes
    activity_lookback_days: int = Field(ge=1)
    history_grace_days: int = Field(ge=0)
    drivers: int = Field(ge=0)
    min_coverage: Number = Field(default=0.0, ge=0, le=1)


class Lifecycle(Closed):
    deal_stages: dict[str, str]
    application_statuses: dict[str, str]
    churn_risk_bands: list[str]


class ThresholdKpi(Closed):
    green_at_least: Number
    yellow_at_least: Number
    target: Number


class SpikeKpi(Closed):
    spike_factor: Number = Field(gt=0)
    min_tickets: int = Field(ge=0)
    baseline_days: int = Field(ge=1)


class CatalogueKpi(Closed):
    """One KPI of the catalogue (hub/kpi_catalogue.py has its formula; docs/kpis.md its words)."""

    area: Literal["acquisition", "funnel", "engagement", "onboarding", "satisfaction", "revenue", "pipeline",
                  "support"]
    name: str
    definition: str
    unit: Literal["count", "percent", "score", "currency", "days", "hours", "ratio", "users"]
    grains: list[Literal["day", "week", "month"]] = Field(min_length=1)
    direction: Literal["higher", "lower"] = "higher"
    target: Number | None = None
    green: Number | None = None
    yellow: Number | None = None
    per_grain: dict[Literal["day", "week", "month"], dict[Literal["target", "green", "yellow"], Number]] = {}


class KpiInputsConfig(Closed):
    """Figures no source holds, for the KPIs that need them (unknown until set)."""

    monthly_acquisition_spend: Number | None = None
    gross_margin: Number | None = Field(default=None, ge=0, le=1)


class Kpis(Closed):
    catalogue: dict[str, CatalogueKpi] = {}
    inputs: KpiInputsConfig = KpiInputsConfig()
    applications_yesterday: ThresholdKpi
    conversion_rate: ThresholdKpi
    beta_engagement: ThresholdKpi
    pmf_survey_responses: ThresholdKpi
    customer_satisfaction: ThresholdKpi
    support_tickets_yesterday: SpikeKpi


# -- alerts --------------------------------------------------------------------------------------
Severity = Literal["info", "warning", "high", "critical"]
Op = Literal["<", "<=", ">", ">=", "==", "!=", "in", "not in"]


class Condition(Closed):
    metric: str
    op: Op
    value: Any


class Rule(Closed):
    description: str | None = None
    entity: Literal["customer", "application", "kpi"]
    metric: str | None = None
    op: Op | None = None
    value: Any = None
    when: list[Condition] | None = None
    where: dict[str, Any] | None = None
    severity: Severity = "warning"
    window: Literal["none", "day", "week"] | None = None
    cooldown_hours: Number | None = None
    message: str | None = None
    message_if_missing: dict[str, str] | None = None
    supersedes: list[str] | None = None
    max_age_days: Number | None = Field(default=None, gt=0)
    age_from: str | None = None
    enabled: bool = True


class ChannelRule(Closed):
    min_severity: Severity


class Owner(Closed):
    email: str | list[str] | None = None
    slack: str | None = None
    name: str | None = None


class Delivery(Closed):
    batch_size: int = Field(ge=1)
    claim_timeout_minutes: Number = Field(gt=0)


class Alerts(Closed):
    default_cooldown_hours: Number = Field(ge=0)
    digest_above: int | None = Field(default=None, ge=0)
    channels: dict[Literal["slack", "webhook", "email"], ChannelRule]
    owners: dict[str, Owner]
    delivery: Delivery
    rules: dict[str, Rule]


# -- sources and the rest ------------------------------------------------------------------------
class HubSpotObjects(Closed):
    companies: list[str] | str
    contacts: list[str] | str
    deals: list[str] | str
    tickets: list[str] | str


class HubSpot(Pacing):
    properties: HubSpotObjects
    modified_properties: HubSpotObjects
    requests_per_10s: Number = Field(gt=0)
    search_per_second: Number = Field(gt=0)
    page_size: int = Field(ge=1, le=100)
    search_page_size: int = Field(ge=1, le=200)
    max_url_chars: int = Field(ge=500)
    rate_limit_wait_seconds: Number = Field(ge=0)


class Salesforce(Closed):
    lookback_seconds: Number = Field(ge=0)
    page_size: int = Field(ge=200, le=2000)
    bulk_threshold: int = Field(ge=0)
    bulk_page_size: int = Field(ge=1)
    bulk_poll_seconds: Number = Field(ge=0)
    max_daily_share: Number = Field(gt=0, le=1)
    describe_hours: Number = Field(ge=0)
    deleted_retention_days: Number = Field(ge=0)
    id_sweep_hours: Number = Field(ge=0)
    connect_timeout_seconds: Number = Field(gt=0)
    timeout_seconds: Number = Field(gt=0)
    max_attempts: int = Field(ge=1)
    retry_base_seconds: Number = Field(ge=0)
    retry_max_seconds: Number = Field(ge=0)


class Reconcile(Closed):
    max_cluster_size: int = Field(ge=2)
    overrides_file: str | None
    review_min_score: Number = Field(ge=0, le=1)
    max_customer_count_change: Number = Field(ge=0)
    field_priority: dict[str, list[Literal["salesforce", "hubspot", "airtable"]]]
    contract_term_months: Number = Field(default=12, gt=0)


class Industries(Closed):
    """One industry vocabulary on customers: each source's values mapped onto ``vocabulary``."""

    vocabulary: list[str] = Field(min_length=1)
    hubspot: dict[str, str]
    salesforce: dict[str, str]
    airtable: dict[str, str]
    unmapped: str | None

    @model_validator(mode="after")
    def _targets_in_vocabulary(self) -> Industries:
        known = set(self.vocabulary)
        for source in ("hubspot", "salesforce", "airtable"):
            for value, industry in getattr(self, source).items():
                if industry not in known:
                    raise ValueError(f"industries.{source}.{value} maps to {industry!r}, which is not in "
                                     f"industries.vocabulary ({', '.join(self.vocabulary)})")
        if self.unmapped is not None and self.unmapped not in known:
            raise ValueError(f"industries.unmapped {self.unmapped!r} is not in industries.vocabulary")
        return self


class Sources(Closed):
    max_staleness_hours: Number = Field(gt=0)


class Usage(Closed):
    stable_seconds: Number = Field(ge=0)
    max_line_bytes: int = Field(ge=256)
    max_count: Number = Field(ge=1)
    max_number: Number = Field(gt=0)
    naive_timestamps: Literal["utc", "reject"]
    max_future_minutes: Number = Field(ge=0)
    partitions_start: dt.date


class Events(Closed):
    max_body_bytes: int = Field(ge=1024)
    max_age_seconds: Number = Field(gt=0)
    public_url: str | None
    batch_size: int = Field(ge=1)


class Retention(Closed):
    """Days each layer keeps its rows (hub.governance.retention); None keeps them forever."""

    raw_deleted_records: int | None = Field(ge=1)
    quarantine: int | None = Field(ge=1)
    usage_events: int | None = Field(ge=1)
    events: int | None = Field(ge=1)
    history: int | None = Field(ge=1)
    alerts: int | None = Field(ge=1)
    deliveries: int | None = Field(ge=1)
    actions: int | None = Field(ge=1)
    reports: int | None = Field(ge=1)


class ReportDelivery(Closed):
    email: bool = True
    slack: bool = True
    webhook: bool = False


class Reports(Closed):
    """Where rendered reports are sent (hub.reports.deliver, README "Reports")."""

    deliver: ReportDelivery
    url: str | None = None


class PlaybookTrigger(Closed):
    alert: str | list[str]


class Playbook(Closed):
    description: str | None = None
    trigger: PlaybookTrigger
    actions: list[str | dict[Literal["notify", "create_task", "assign_owner", "escalate", "email_contact"], Any]] = \
        Field(min_length=1)
    enabled: bool = True


class WriteBack(Closed):
    enabled: bool = True
    hubspot_properties: dict[Literal["health_score", "health_band", "customer_id"], str]
    salesforce_fields: dict[Literal["health_score", "health_band", "customer_id"], str]


class EmailTemplate(Closed):
    subject: str
    body: str


class CustomerEmail(Closed):
    enabled: bool = False
    sender: str | None = Field(default=None, alias="from")
    sender_name: str | None = None
    suppress: list[str] = []
    templates: dict[str, EmailTemplate] = {}


class Playbooks(Closed):
    """The playbooks (hub.playbooks, docs/playbooks.md): trigger → actions, and the write-back."""

    mode: Literal["dry_run", "live"]
    act_within_days: Number = Field(ge=0)
    max_attempts: int = Field(ge=1)
    claim_timeout_minutes: Number = Field(gt=0)
    reps: list[str]
    managers: dict[str, str]
    default_manager: str | None = None
    write_back: WriteBack
    customer_email: CustomerEmail
    rules: dict[str, Playbook]


class HubConfig(Closed):
    """Everything ``HUB_CONFIG`` may say (README "Configuration")."""

    airtable: Airtable
    deal_stages: list[str] = Field(min_length=2)
    lead_score: LeadScore
    health: Health
    lifecycle: Lifecycle
    source_priority: list[Literal["salesforce", "hubspot", "airtable"]]
    kpis: Kpis
    alerts: Alerts
    sources: Sources
    usage: Usage
    hubspot: HubSpot
    salesforce: Salesforce
    reconcile: Reconcile
    events: Events
    industries: Industries
    retention: Retention
    reports: Reports
    playbooks: Playbooks


def problems(config: dict[str, Any]) -> list[str]:
    """Every way ``config`` breaks the schema, one sentence each (empty when it is valid)."""
    try:
        HubConfig.model_validate(config)
    except ValidationError as exc:
        return [_explain(error) for error in exc.errors()]
    return []


def _explain(error: dict[str, Any]) -> str:
    path = ".".join(str(p) for p in error["loc"])
    if error["type"] == "extra_forbidden":
        known = _known_keys(error["loc"][:-1])
        close = difflib.get_close_matches(str(error["loc"][-1]), known, n=1, cutoff=0.6)
        hint = f"; did you mean `{'.'.join([*map(str, error['loc'][:-1]), close[0]])}`?" if close else (
            f"; known keys here: {', '.join(sorted(known))}" if known else "")
        return f"unknown key `{path}`{hint}"
    if error["type"] == "missing":
        return f"`{path}` is required"
    given = error.get("input")
    shown = repr(given) if not isinstance(given, dict | list) else type(given).__name__
    return f"`{path}`: {error['msg'].lower()} (got {shown[:60]})"


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys the schema allows at ``loc`` (a path through models and open mappings)."""
    annotation: Any = HubConfig
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    model = _model_of(annotation)
    return list(model.model_fields) if model is not None else []


def _step(annotation: Any, part: Any) -> Any:
    model = _model_of(annotation)
    if model is not None:
        field = model.model_fields.get(str(part))
        return field.annotation if field is not None else None
    origin = get_origin(annotation)
    if origin is dict:
        return get_args(annotation)[1]
    if origin is list:
        return get_args(annotation)[0]
    return None


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (dict, list):
        return None
    for arg in get_args(annotation):  # Optional[Model] and unions
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None
