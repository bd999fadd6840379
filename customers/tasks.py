from celery import shared_task


# Not acks_late (the project default is late acks): a worker lost mid-send would mail a
# shopper twice; the shoppers it did not reach are tried again on the next price drop.
@shared_task(acks_late=False)
def wishlist_price_alerts_send_task(*, product_id: int) -> int:
    from customers.services import wishlist_price_alerts_send  # tasks call services

    return wishlist_price_alerts_send(product_id=product_id)
