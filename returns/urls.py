from django.urls import path

from returns import api

urlpatterns = [
    path("orders/<str:number>/returns/", api.OrderReturnsApi.as_view(), name="order-returns"),
    path("staff/returns/", api.StaffReturnListApi.as_view(), name="staff-return-list"),
    path(
        "staff/returns/<int:return_id>/",
        api.StaffReturnDetailApi.as_view(),
        name="staff-return-detail",
    ),
    path(
        "staff/returns/<int:return_id>/approve/",
        api.StaffReturnApproveApi.as_view(),
        name="staff-return-approve",
    ),
    path(
        "staff/returns/<int:return_id>/reject/",
        api.StaffReturnRejectApi.as_view(),
        name="staff-return-reject",
    ),
    path(
        "staff/returns/<int:return_id>/receive/",
        api.StaffReturnReceiveApi.as_view(),
        name="staff-return-receive",
    ),
    path(
        "staff/returns/<int:return_id>/refund/",
        api.StaffReturnRefundApi.as_view(),
        name="staff-return-refund",
    ),
]
