from celery import shared_task


# Not acks_late (the project default is late acks): a worker lost mid-send would mail a
# shopper twice; the alerts it did not reach stay waiting for the next restock.
@shared_task(acks_late=False)
def stock_alerts_send_task(*, product_id: int) -> int:
    from catalog.services import stock_alerts_send  # tasks call services

    return stock_alerts_send(product_id=product_id)
