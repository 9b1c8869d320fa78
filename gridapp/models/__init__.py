"""SQLAlchemy models, one module per aggregate. Geometry is SRID 4326 (lon/lat)."""
from .areas import AdminArea
from .boundaries import GridEdit, GridLineage
from .cases import Incident, IncidentCategory, IncidentStatus
from .disputes import (
    Dispute,
    DisputeApproval,
    DisputeEvent,
    DisputeIncident,
    DisputeParty,
    DisputeType,
    DisputeVisit,
    MediationCommittee,
    MediationSession,
    Mediator,
)
from .facts import KpiCaseFact, KpiCloseHours, KpiCompaction, KpiRollup
from .grids import Grid
from .idempotency import IdempotencyKey
from .jobs import LongJob
from .notifications import ChannelChoice, Delivery, Notification
from .org import (
    AuditEntry,
    CommitteeSeat,
    CommunityPartyOrg,
    GridPartyGroup,
    GridWorker,
    GroupGrid,
    GroupPartner,
    PartyMember,
    PiiView,
    StarRating,
    StationedUnit,
    WorkerGrid,
)
from .places import (
    Campaign,
    Inspection,
    InspectionPlace,
    Place,
    PlaceEvent,
    PlaceType,
    RectificationNotice,
)
from .users import ApiToken, GridAssignment, Role, User, UserSession
from .workflow import CategoryRule, Department, DepartmentMember, IncidentApproval, IncidentEvent, Photo, PhotoUpload

__all__ = [
    "AdminArea", "Grid", "Incident", "IncidentCategory",
    "IncidentStatus", "User", "Role", "GridAssignment", "ApiToken", "UserSession",
    "GridEdit", "GridLineage",
    "AuditEntry", "CommitteeSeat", "CommunityPartyOrg", "GridPartyGroup", "GridWorker", "GroupGrid",
    "GroupPartner", "PartyMember", "PiiView", "StarRating", "StationedUnit", "WorkerGrid",
    "CategoryRule", "Department", "DepartmentMember", "IncidentApproval", "IncidentEvent", "Photo", "PhotoUpload",
    "Dispute", "DisputeApproval", "DisputeEvent", "DisputeIncident", "DisputeParty", "DisputeType",
    "DisputeVisit", "MediationCommittee", "MediationSession", "Mediator",
    "Campaign", "Inspection", "InspectionPlace", "Notification", "Place", "PlaceEvent", "PlaceType",
    "RectificationNotice", "ChannelChoice", "Delivery", "LongJob",
    "KpiCaseFact", "KpiCloseHours", "KpiCompaction", "KpiRollup", "IdempotencyKey",
]
