from django.urls import path

from support import api

urlpatterns = [
    path("tickets/", api.TicketCreateApi.as_view(), name="support-ticket-create"),
    path("tickets/mine/", api.TicketListApi.as_view(), name="support-ticket-list"),
    path("tickets/import/", api.TicketImportApi.as_view(), name="support-ticket-import"),
    path(
        "tickets/<int:ticket_id>/human/",
        api.TicketHumanRequestApi.as_view(),
        name="support-ticket-human",
    ),
    path(
        "tickets/<int:ticket_id>/messages/",
        api.TicketCustomerReplyApi.as_view(),
        name="support-ticket-customer-reply",
    ),
    path(
        "tickets/<int:ticket_id>/reply/",
        api.TicketReplySendApi.as_view(),
        name="support-ticket-reply",
    ),
    path(
        "tickets/<int:ticket_id>/triage/",
        api.TicketTriageCorrectApi.as_view(),
        name="support-ticket-triage",
    ),
    path(
        "tickets/<int:ticket_id>/rating/",
        api.TicketRatingApi.as_view(),
        name="support-ticket-rating",
    ),
    path("answers/suggest/", api.AnswerSuggestApi.as_view(), name="support-answer-suggest"),
]
