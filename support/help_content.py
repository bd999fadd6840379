"""The help-centre articles the store ships with (seeded by a data migration), one per intent.

Placeholders in braces are filled with the ticket's order facts when an order is linked.
"""

from __future__ import annotations

QUEUES: list[tuple[str, str, str]] = [
    ("orders", "Orders", "Placing, changing, cancelling and tracking orders"),
    ("shipping", "Shipping", "Delivery options, delivery times, shipping addresses"),
    ("returns", "Returns & refunds", "Refund policy, refund requests, cancellation fees"),
    ("payment", "Payment & invoices", "Payment methods, failed payments, invoices"),
    ("account", "Account", "Sign-up, login, password, profile, newsletter"),
    ("general", "General", "Contact, complaints, reviews and everything else"),
    ("escalations", "Escalations", "Negative and urgent tickets, seen first"),
]

# (intent, slug, title, body)
ARTICLES: list[tuple[str, str, str, str]] = [
    (
        "cancel_order",
        "cancel-an-order",
        "How do I cancel an order?",
        "You can cancel an order until it ships. Open My orders, choose the order and press "
        "Cancel order. Order {order_number} is currently {order_status}; if it has not shipped "
        "yet we can still cancel it and refund you in full.",
    ),
    (
        "change_order",
        "change-an-order",
        "Can I change items in my order?",
        "Until an order ships you can add, remove or swap items. Order {order_number} is "
        "{order_status}. Reply with the changes you need and we will update the order and the "
        "payment for you.",
    ),
    (
        "place_order",
        "place-an-order",
        "How do I place an order?",
        "Add products to your cart, open the cart and press Checkout. You can pay by card; you "
        "will get a confirmation e-mail with your order number as soon as the payment goes "
        "through.",
    ),
    (
        "track_order",
        "track-your-order",
        "Where is my order?",
        "Order {order_number} is {order_status}. Orders ship within 2 working days of payment "
        "and arrive 2-5 working days later. The confirmation e-mail links to the carrier's "
        "tracking page as soon as the parcel has left our warehouse.",
    ),
    (
        "delivery_options",
        "delivery-options",
        "Which delivery options do you offer?",
        "We offer standard delivery (2-5 working days, free over 50), express delivery (next "
        "working day if ordered before 2 pm) and collection from a pick-up point. Choose the "
        "option at checkout.",
    ),
    (
        "delivery_period",
        "delivery-times",
        "How long does delivery take?",
        "Standard delivery takes 2-5 working days after dispatch, express delivery one working "
        "day. Order {order_number} is {order_status}. If a parcel is more than 3 days late, "
        "reply here and we will chase the carrier.",
    ),
    (
        "change_shipping_address",
        "change-shipping-address",
        "How do I change my delivery address?",
        "You can change the delivery address of an order until it ships: reply with the new "
        "address, or update it under My orders. Order {order_number} is {order_status}. Saved "
        "addresses can be edited in your account at any time.",
    ),
    (
        "set_up_shipping_address",
        "add-shipping-address",
        "How do I add a shipping address?",
        "Open My account, then Addresses, and press Add address. You can save several addresses "
        "and pick one at checkout.",
    ),
    (
        "check_refund_policy",
        "refund-policy",
        "What is your refund policy?",
        "You can return any unused item within 30 days of delivery for a full refund. Refunds go "
        "back to the original payment method within 5 working days of the return reaching us.",
    ),
    (
        "get_refund",
        "request-a-refund",
        "How do I get a refund?",
        "Start a return from My orders or reply here with the items you want to send back. For "
        "order {order_number} the refund state is: {refund_state}. Refunds reach your card within "
        "5 working days after we receive the return.",
    ),
    (
        "track_refund",
        "track-a-refund",
        "Where is my refund?",
        "For order {order_number} the refund state is: {refund_state}. Once a refund is issued it "
        "takes 3-5 working days to appear on your statement, depending on your bank.",
    ),
    (
        "check_cancellation_fee",
        "cancellation-fees",
        "Is there a cancellation fee?",
        "Cancelling an order before it ships is free. After dispatch you can return the items "
        "within 30 days; only return postage may apply for non-faulty items.",
    ),
    (
        "check_payment_methods",
        "payment-methods",
        "Which payment methods do you accept?",
        "We accept Visa, Mastercard, American Express and Discover cards. Payments are taken "
        "when you place the order and are protected by your bank's 3-D Secure check.",
    ),
    (
        "payment_issue",
        "payment-problems",
        "My payment failed or was charged wrongly",
        "If a payment failed, your card was not charged; please try again or use another card. "
        "If you see a charge you do not recognise or a double charge, an agent will look into it "
        "straight away.",
    ),
    (
        "check_invoice",
        "check-invoice",
        "Where can I see my invoice?",
        "Every order has an invoice under My orders. Order {order_number} totals are shown on "
        "its invoice, including VAT and delivery.",
    ),
    (
        "get_invoice",
        "get-invoice",
        "How do I download an invoice?",
        "Open My orders, choose the order and press Download invoice to get a PDF. For order "
        "{order_number} we can also e-mail it to you: just reply here.",
    ),
    (
        "create_account",
        "create-account",
        "How do I create an account?",
        "Press Sign up at the top of any page, enter your e-mail address and choose a password. "
        "You can also create an account at checkout.",
    ),
    (
        "delete_account",
        "delete-account",
        "How do I delete my account?",
        "You can ask us to erase your account and personal data at any time. An agent will "
        "confirm your identity and erase the account; order records we must keep by law are "
        "anonymised.",
    ),
    (
        "edit_account",
        "edit-account",
        "How do I change my account details?",
        "Open My account to change your name, e-mail address, password and saved addresses. "
        "Changes apply immediately.",
    ),
    (
        "recover_password",
        "reset-password",
        "I forgot my password",
        "Press Log in, then Forgot password, and enter your e-mail address. We send a link that "
        "lets you choose a new password; it is valid for 24 hours.",
    ),
    (
        "registration_problems",
        "sign-up-problems",
        "I cannot sign up",
        "Check that the e-mail address is not already registered (try Forgot password) and "
        "that your password has at least 8 characters. If sign-up still fails, reply here with "
        "the error message you see.",
    ),
    (
        "switch_account",
        "switch-account",
        "How do I switch accounts?",
        "Log out from the menu at the top right, then log in with the other account's e-mail "
        "address and password.",
    ),
    (
        "newsletter_subscription",
        "newsletter",
        "How do I subscribe or unsubscribe?",
        "You can subscribe to or leave our newsletter under My account, Marketing preferences, "
        "or with the unsubscribe link at the bottom of every newsletter.",
    ),
    (
        "contact_customer_service",
        "contact-us",
        "How can I contact customer service?",
        "Write to us with this form at any time; agents answer within one working day, Monday to "
        "Saturday. You can always ask for a person and an agent will take over.",
    ),
    (
        "contact_human_agent",
        "talk-to-a-person",
        "I want to talk to a person",
        "An agent will take over this conversation and reply within one working day.",
    ),
    (
        "complaint",
        "complaints",
        "How do I make a complaint?",
        "We are sorry something went wrong. An agent reads every complaint and will get back to "
        "you within one working day.",
    ),
    (
        "review",
        "leave-a-review",
        "How do I leave a review?",
        "Open the product page and press Write a review, or use the link in your delivery "
        "e-mail. We publish all reviews, good and bad.",
    ),
]
