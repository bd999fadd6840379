"""Staff ticket API (the agent workspace), mounted at /api/v1/staff/support/."""

from django.urls import path

from support import api

urlpatterns = [
    path("tickets/", api.StaffTicketListApi.as_view(), name="staff-support-ticket-list"),
    path(
        "tickets/<int:ticket_id>/",
        api.StaffTicketDetailApi.as_view(),
        name="staff-support-ticket-detail",
    ),
    path(
        "tickets/<int:ticket_id>/reply/",
        api.StaffTicketReplyApi.as_view(),
        name="staff-support-ticket-reply",
    ),
    path(
        "tickets/<int:ticket_id>/notes/",
        api.StaffTicketNoteApi.as_view(),
        name="staff-support-ticket-note",
    ),
    path(
        "tickets/<int:ticket_id>/assign/",
        api.StaffTicketAssignApi.as_view(),
        name="staff-support-ticket-assign",
    ),
    path(
        "tickets/<int:ticket_id>/macros/",
        api.StaffTicketMacroListApi.as_view(),
        name="staff-support-ticket-macros",
    ),
]
