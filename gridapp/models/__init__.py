"""SQLAlchemy models, one module per aggregate. Geometry is SRID 4326 (lon/lat)."""
from .areas import AdminArea
from .cases import Incident, IncidentCategory, IncidentStatus
from .grids import Grid
from .users import ApiToken, GridAssignment, Role, User
from .workflow import CategoryRule, Department, DepartmentMember, IncidentApproval, IncidentEvent, Photo

__all__ = [
    "AdminArea", "Grid", "Incident", "IncidentCategory",
    "IncidentStatus", "User", "Role", "GridAssignment", "ApiToken",
    "CategoryRule", "Department", "DepartmentMember", "IncidentApproval", "IncidentEvent", "Photo",
]
