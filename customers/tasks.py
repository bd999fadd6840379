from celery import shared_task


# Not acks_late (the project default is late acks): a worker lost mid-send would mail a
# shopper twice; the shoppers it did not reach are tried again on the next price drop.
@shared_task(acks_late=False)
def wishlist_price_alerts_send_task(*, product_id: int) -> int:
    from customers.services import wishlist_price_alerts_send  # tasks call services

    return wishlist_price_alerts_send(product_id=product_id)


@shared_task(acks_late=False)  # a lost worker must not mail the link twice
def password_reset_email_send_task(*, user_id: int) -> bool:
    from customers.services import password_reset_email_send

    return password_reset_email_send(user_id=user_id)
