"""What a browser posts from a Django admin change page, for tests that submit one."""

from typing import Any

from django.test import Client


def change_form_data(client: Client, url: str, **changes: Any) -> dict[str, Any]:
    """Every field and inline of the change page at ``url`` as shown, with ``changes``."""
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        mgmt = formset.management_form
        data.update({f"{formset.prefix}-{n}": mgmt[n].value() for n in mgmt.fields})
        for f in formset.forms:
            data.update({f.add_prefix(n): f[n].value() for n in f.fields})
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}
