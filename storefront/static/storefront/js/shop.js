/* Northwind Goods storefront: small progressive enhancements on top of server-rendered pages.
 * Every interactive part talks to the public REST API (/api/v1/), the same one integrators use.
 * No build step, no framework. */
(function () {
  "use strict";

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const currency = document.body.dataset.currency || "£";

  function money(value) {
    const n = Number(value);
    return currency + n.toLocaleString("en-GB", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function escapeHtml(text) {
    return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  async function api(method, url, body, headers = {}) {
    const opts = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
    if (method !== "GET") opts.headers["X-CSRFToken"] = csrfToken();
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(url, opts);
    let data = null;
    const text = await res.text();
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text.slice(0, 200) }; }
    return { ok: res.ok, status: res.status, data };
  }

  const capitalise = (text) => (text ? text.charAt(0).toUpperCase() + text.slice(1) : text);

  /** The first message of a DRF field-error body ({field: [msg]} or nested), or "". */
  function firstFieldMessage(data) {
    for (const [field, value] of Object.entries(data || {})) {
      if (field === "code" || field === "detail") continue;
      const msg = Array.isArray(value) ? value[0] : value && typeof value === "object" ? firstFieldMessage(value) : value;
      if (msg) return (field === "non_field_errors" ? "" : field.replace(/_/g, " ") + ": ") + msg;
    }
    return "";
  }

  /** The shopper-readable message of an API error body ({detail, code, field: [msg]}). A field
   * error's detail is the generic "Invalid input.": the field's own message says what to fix. */
  function errorMessage(data, fallback = "Something went wrong. Please try again.") {
    if (!data) return fallback;
    const generic = typeof data.detail !== "string" || data.detail === "Invalid input.";
    return capitalise((generic && firstFieldMessage(data)) || data.detail || fallback);
  }

  /* ---- inline field errors: next to the field, announced, and the first one focused -------- */
  function setFieldError(input, message) {
    const id = "err-" + input.name;
    let el = document.getElementById(id);
    if (!el && message) {
      el = document.createElement("span");
      el.id = id;
      el.className = "field-error";
      // under the field's label, outside it: the label stays the field's name, and the
      // message is read out through aria-describedby
      (input.closest("label") || input).after(el);
    }
    if (el) { el.textContent = message || ""; el.hidden = !message; }
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((d) => d && d !== id);
    if (message) described.push(id);
    if (described.length) input.setAttribute("aria-describedby", described.join(" "));
    else input.removeAttribute("aria-describedby");
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  /** Shows each {name: message} next to its field, clears the others; focuses the first. */
  function showFieldErrors(form, errors) {
    let first = null;
    Array.from(form.elements).filter((el) => el.name).forEach((el) => {
      setFieldError(el, errors[el.name] || "");
      if (errors[el.name] && !first) first = el;
    });
    if (first) first.focus();
    return Boolean(first);
  }

  let toastTimer;
  function toast(message, kind = "ok") {
    const el = $("[data-toast]");
    if (!el) return;
    el.textContent = message;
    el.className = "toast toast-" + kind;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, 3500);
  }

  function setCartCount(n) {
    $$("[data-cart-count]").forEach((el) => {
      el.textContent = n;
      el.setAttribute("aria-label", n + " items in cart");
    });
  }

  function showError(form, message) {
    const el = $(".form-error", form) || $("[data-form-error]", form);
    if (!el) return toast(message, "error");
    el.textContent = message;
    el.hidden = !message;
  }

  /* ---- cart buttons ------------------------------------------------------------------------ */
  async function addToCart(productId, quantity = 1) {
    const res = await api("POST", "/api/v1/cart/lines/", { product_id: Number(productId), quantity: Number(quantity) });
    if (res.ok) {
      setCartCount(res.data.item_count);
      toast("Added to your cart");
    }
    return res;
  }

  document.addEventListener("click", async (event) => {
    const btn = event.target.closest("[data-add-to-cart]");
    if (!btn) return;
    event.preventDefault();
    btn.disabled = true;
    const res = await addToCart(btn.dataset.addToCart, 1);
    btn.disabled = false;
    if (!res.ok) toast(errorMessage(res.data), "error");
  });

  const buyForm = $("[data-buy-form]");
  if (buyForm) {
    buyForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const qty = Number(buyForm.quantity.value || 1);
      const button = $("button", buyForm);
      button.disabled = true;
      const res = await addToCart(buyForm.dataset.product, qty);
      button.disabled = false;
      const err = $("[data-buy-error]");
      if (res.ok) {
        err.hidden = true;
        button.textContent = "Added ✓ Add more";
      } else {
        err.textContent = errorMessage(res.data);
        err.hidden = false;
      }
    });
  }

  /* ---- filters: folded away on phones so the products come first -------------------------- */
  const facets = $("[data-facets]");
  if (facets && window.matchMedia("(max-width: 900px)").matches) facets.open = false;

  /* ---- filters: submit on change ---------------------------------------------------------- */
  $$("form[data-autosubmit]").forEach((form) => {
    form.addEventListener("change", (event) => {
      if (event.target.matches("select, input[type=checkbox]")) form.submit();
    });
  });

  /* ---- autocomplete ---------------------------------------------------------------------- */
  const searchInput = $("[data-autocomplete]");
  if (searchInput) {
    const list = $("#search-suggestions");
    let timer, active = -1, lastQuery = "";
    const close = () => { list.hidden = true; searchInput.setAttribute("aria-expanded", "false"); active = -1; };
    const highlight = (i) => {
      const items = $$("[role=option]", list);
      items.forEach((el, j) => el.setAttribute("aria-selected", j === i ? "true" : "false"));
      active = i;
      if (items[i]) searchInput.setAttribute("aria-activedescendant", items[i].id);
    };
    searchInput.addEventListener("input", () => {
      clearTimeout(timer);
      const q = searchInput.value.trim();
      if (q.length < 2) return close();
      timer = setTimeout(async () => {
        lastQuery = q;
        const res = await api("GET", "/api/v1/search/autocomplete/?q=" + encodeURIComponent(q));
        if (!res.ok || q !== lastQuery) return;
        if (!res.data.length) return close();
        list.innerHTML = res.data.map((s, i) =>
          `<li role="option" id="sugg-${i}" aria-selected="false"><a href="${s.url}${s.kind === "product" ? "?q=" + encodeURIComponent(q) : ""}">` +
          `${s.kind === "category" ? '<span class="sugg-kind">Category</span>' : `<img src="/images/products/${s.product_id}.svg" alt="" width="28" height="28">`}` +
          `${escapeHtml(s.label)}</a></li>`).join("");
        list.hidden = false;
        searchInput.setAttribute("aria-expanded", "true");
      }, 120);
    });
    searchInput.addEventListener("keydown", (event) => {
      const items = $$("[role=option]", list);
      if (list.hidden || !items.length) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight((active + 1) % items.length); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight((active - 1 + items.length) % items.length); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); $("a", items[active]).click(); }
      else if (event.key === "Escape") close();
    });
    document.addEventListener("click", (event) => { if (!event.target.closest(".search")) close(); });
  }

  /* ---- product widgets (recommendations with a popular fallback) ------------------------- */
  function cardHtml(p, slot, position, source, itemSource) {
    const available = Number(p.available || 0);
    const stock = available <= 0 ? ["out", "Sold out"] : available <= 5 ? ["low", `Only ${available} left`] : ["in", "In stock"];
    return `<article class="card"><a class="card-link" href="${p.url || "/p/" + p.id + "/"}" data-rec-slot="${slot}" data-rec-source="${escapeHtml(source || "")}" data-rec-item-source="${escapeHtml(itemSource || "")}" data-rec-position="${position}" data-rec-product="${p.id}">` +
      `<div class="card-img"><img src="${p.image_url}" alt="${escapeHtml(p.name)}" width="400" height="400" loading="lazy"></div>` +
      `<h3 class="card-title">${escapeHtml(p.name)}</h3></a>` +
      `<div class="card-foot"><span class="price">${money(p.price)}</span><span class="stock stock-${stock[0]}">${stock[1]}</span>` +
      (available > 0 ? `<button type="button" class="btn btn-small" data-add-to-cart="${p.id}" aria-label="Add ${escapeHtml(p.name)} to cart">Add</button>` : "") +
      `</div></article>`;
  }

  function idsFrom(data) {
    const items = Array.isArray(data) ? data : (data && (data.results || data.items || data.products || data.recommendations)) || [];
    return items.map((it) => (typeof it === "number" ? it : it.product_id ?? it.id ?? (it.product && it.product.id))).filter(Boolean);
  }

  async function productsByIds(ids) {
    if (!ids.length) return [];
    const res = await api("GET", "/api/v1/products/?page_size=60&ids=" + ids.join(","));
    if (!res.ok) return [];
    const byId = new Map(res.data.results.map((p) => [p.id, p]));
    return ids.map((id) => byId.get(Number(id))).filter(Boolean);
  }

  async function popular(limit, exclude = []) {
    const res = await api("GET", `/api/v1/products/?ordering=-popularity&in_stock=true&page_size=${limit + exclude.length}`);
    if (!res.ok) return [];
    return res.data.results.filter((p) => !exclude.includes(p.id)).slice(0, limit);
  }

  // which source the API says produced each item (a model's, or "same_category", "co_purchase"...)
  function sourcesFrom(data) {
    const items = (data && data.items) || [];
    return new Map(items.filter((it) => it && it.product_id).map((it) => [Number(it.product_id), String(it.source || "")]));
  }

  // ``avoid``: products already shown in another row of the page, left out while anything else
  // is left (a catalogue too small for two different rows repeats rather than show none)
  async function loadWidget(el, urls, exclude, limit = 4, avoid = []) {
    const fresh = (list) => { const rest = list.filter((p) => !avoid.includes(p.id)); return rest.length ? rest : list; };
    let products = [];
    let itemSources = new Map();
    for (const url of urls) {
      try {
        const res = await api("GET", url);
        if (res.ok) {
          products = fresh((await productsByIds(idsFrom(res.data))).filter((p) => !exclude.includes(p.id)));
          itemSources = sourcesFrom(res.data);
        }
      } catch (e) { products = []; }
      if (products.length) break;
    }
    let source = "recommendations";
    if (!products.length) { products = fresh(await popular(limit + avoid.length, exclude)); source = "popular"; }
    el.dataset.source = source;
    const shown = products.slice(0, limit);
    el.innerHTML = shown.length
      ? shown.map((p, i) => cardHtml(p, el.dataset.widget, i + 1, source, itemSources.get(p.id))).join("")
      : '<p class="muted">Nothing to suggest yet.</p>';
    return shown.map((p) => p.id);
  }

  // Clicks on recommended items feed the recommender's click-through monitoring.
  const SLOTS = { similar: "similar", "bought-together": "bought_together", cart: "cart", "for-you": "for_you" };
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-rec-slot]");
    if (!link || link.dataset.recSource !== "recommendations") return;
    fetch("/api/v1/recommendations/click/", {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ product_id: Number(link.dataset.recProduct), slot: SLOTS[link.dataset.recSlot] || "similar", source: link.dataset.recItemSource || "", variant: link.dataset.recVariant || "", position: Number(link.dataset.recPosition) }),
    }).catch(() => {});
  });

  // One after the other: "Similar items" leaves out what "Frequently bought together" shows
  // above it (the two lists often share products, and a row repeating the row above is noise).
  (async () => {
    let shown = [];
    for (const el of $$("[data-widget=bought-together], [data-widget=similar]")) {
      const id = Number(el.dataset.product);
      shown = shown.concat(await loadWidget(el, [`/api/v1/recommendations/${el.dataset.widget}/${id}/`], [id], 4, shown));
    }
  })();

  /* ---- cart page -------------------------------------------------------------------------- */
  // Delivery methods as radios, priced for this cart by the API (free once its threshold is
  // reached after the discount), with the dates it would arrive if ordered now.
  function renderShippingMethods(cart) {
    const chosen = cart.shipping_method ? cart.shipping_method.id : null;
    $$("[data-shipping-methods]").forEach((box) => {
      const list = cart.shipping_methods || [];
      box.hidden = !cart.lines || !cart.lines.length;
      const options = $("[data-shipping-options]", box);
      options.innerHTML = list.length ? list.map((m) =>
        `<label class="shipping-option"><input type="radio" name="shipping_method" value="${m.id === null ? "" : m.id}"${m.id === chosen ? " checked" : ""} data-testid="shipping-method-${m.id}">` +
        `<span class="shipping-option-name">${escapeHtml(m.name)}</span><span class="shipping-option-price">${Number(m.price) ? money(m.price) : "Free"}</span>` +
        `<span class="shipping-option-when muted">Arrives ${escapeHtml(m.delivery_window)}${m.countries && m.countries.length ? " · to " + escapeHtml(m.countries.join(", ")) + " only" : ""}</span></label>`).join("")
        : '<p class="form-error" data-testid="no-shipping-method">Sorry, we do not deliver to this country yet.</p>';
    });
  }

  document.addEventListener("change", async (event) => {
    const radio = event.target.closest("[data-shipping-methods] input[name=shipping_method]");
    if (!radio || !radio.value) return;
    const form = radio.closest("[data-checkout-form]");
    const body = { shipping_method: Number(radio.value) };
    if (form && form.elements.country && form.elements.country.value) body.country = form.elements.country.value;
    const res = await api("PUT", "/api/v1/cart/shipping-method/", body);
    if (!res.ok) { toast(errorMessage(res.data), "error"); return; }
    renderSummary(res.data);
  });

  function renderSummary(cart) {
    renderShippingMethods(cart);
    $$("[data-subtotal]").forEach((el) => (el.textContent = money(cart.subtotal)));
    $$("[data-shipping]").forEach((el) => (el.textContent = Number(cart.shipping) ? money(cart.shipping) : "Free"));
    $$("[data-total]").forEach((el) => (el.textContent = money(cart.total)));
    $$("[data-tax]").forEach((el) => (el.textContent = money(cart.tax_included)));
    const discounted = Number(cart.discount) > 0;
    $$("[data-discount]").forEach((el) => { el.textContent = "−" + money(cart.discount); el.hidden = !discounted; });
    $$("[data-discount-row]").forEach((el) => { el.textContent = `Discount (${cart.voucher_code})`; el.hidden = !discounted; });
    const hint = $("[data-free-hint]");
    if (hint) {
      // the API works out what to add as checkout judges it: a percentage code also takes
      // its share of what is added, so "goods after the discount" alone would understate it
      const missing = cart.free_shipping_missing === null ? null : Number(cart.free_shipping_missing);
      hint.textContent = missing === null ? "" : missing > 0 ? `Add ${money(missing)} more for free delivery.` : "Your delivery is free.";
    }
    const voucherForm = $("[data-voucher-form]");
    if (voucherForm) {
      const applied = $("[data-voucher-applied]", voucherForm);
      applied.hidden = !cart.voucher_code;
      $("[data-voucher-name]", voucherForm).textContent = cart.voucher_code || "";
      const problem = $("[data-voucher-error]", voucherForm);
      const why = cart.voucher_problem || "";
      problem.textContent = why && why.charAt(0).toUpperCase() + why.slice(1) + ".";
      problem.hidden = !cart.voucher_problem;
    }
  }

  async function renderCart() {
    const root = $("[data-cart-lines]");
    const res = await api("GET", "/api/v1/cart/");
    if (!res.ok) { root.innerHTML = '<p class="form-error">We could not load your cart. Please refresh.</p>'; return null; }
    const cart = res.data;
    setCartCount(cart.item_count);
    const summary = $("[data-cart-summary]");
    if (!cart.lines.length) {
      root.innerHTML = '<div class="empty"><p>Your cart is empty.</p><p><a class="btn btn-primary" href="/">Start shopping</a></p></div>';
      summary.hidden = true;
      return cart;
    }
    root.innerHTML = '<ul class="cart-lines">' + cart.lines.map((l) =>
      `<li class="cart-line" data-line="${l.product_id}">` +
      `<img src="/images/products/${l.product_id}.svg" alt="" width="80" height="80">` +
      `<div class="cart-line-info"><a href="/p/${l.product_id}/">${escapeHtml(l.name)}</a><span class="muted">${money(l.unit_price)} each</span>` +
      (l.available < l.quantity ? `<span class="stock stock-out">${l.available ? "Only " + l.available + " left" : "Sold out"}</span>` : "") + `</div>` +
      `<label class="qty"><span class="visually-hidden">Quantity of ${escapeHtml(l.name)}</span>` +
      `<input type="number" min="0" max="99" value="${l.quantity}" data-qty="${l.product_id}" inputmode="numeric"></label>` +
      `<span class="price">${money(l.line_total)}</span>` +
      `<button type="button" class="link-btn" data-remove="${l.product_id}" aria-label="Remove ${escapeHtml(l.name)}">Remove</button></li>`
    ).join("") + "</ul>";
    summary.hidden = false;
    renderSummary(cart);
    return cart;
  }

  const cartPage = $("[data-cart-page]");
  if (cartPage) {
    renderCart().then((cart) => {
      const ids = cart ? cart.lines.map((l) => l.product_id) : [];
      const el = $("[data-widget=cart]");
      const urls = ids.length ? ["/api/v1/recommendations/cart/?limit=4"] : [];
      loadWidget(el, urls, ids, 4);
    });
    cartPage.addEventListener("change", async (event) => {
      const input = event.target.closest("[data-qty]");
      if (!input) return;
      const res = await api("PATCH", `/api/v1/cart/lines/${input.dataset.qty}/`, { quantity: Number(input.value) });
      if (!res.ok) toast(errorMessage(res.data), "error");
      renderCart();
    });
    const voucherForm = $("[data-voucher-form]");
    voucherForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = voucherForm.elements.voucher_code;
      const res = await api("POST", "/api/v1/cart/voucher/", { voucher_code: input.value.trim() });
      const problem = $("[data-voucher-error]", voucherForm);
      if (!res.ok) {
        problem.textContent = errorMessage(res.data);
        problem.hidden = false;
        input.setAttribute("aria-invalid", "true");
        return;
      }
      input.removeAttribute("aria-invalid");
      input.value = "";
      renderSummary(res.data);
    });
    cartPage.addEventListener("click", async (event) => {
      if (event.target.closest("[data-voucher-remove]")) {
        const res = await api("DELETE", "/api/v1/cart/voucher/");
        if (res.ok) renderSummary(res.data);
        return;
      }
      const btn = event.target.closest("[data-remove]");
      if (!btn) return;
      await api("DELETE", `/api/v1/cart/lines/${btn.dataset.remove}/`);
      toast("Removed from your cart");
      renderCart();
    });
  }

  /* ---- checkout --------------------------------------------------------------------------- */
  const checkoutForm = $("[data-checkout-form]");
  if (checkoutForm) {
    let cartToken = null;
    // the methods (and their prices) for the country the parcel goes to
    const cartForCountry = () => {
      const country = checkoutForm.elements.country ? checkoutForm.elements.country.value : "";
      return api("GET", "/api/v1/cart/" + (country ? "?country=" + encodeURIComponent(country) : ""));
    };
    checkoutForm.elements.country && checkoutForm.elements.country.addEventListener("change", async () => {
      const res = await cartForCountry();
      if (res.ok) renderSummary(res.data);
    });
    cartForCountry().then((res) => {
      const box = $("[data-checkout-lines]");
      if (!res.ok) return;
      cartToken = res.data.token;
      if (!res.data.lines.length) {
        box.innerHTML = '<p>Your cart is empty. <a href="/">Keep shopping</a>.</p>';
        $("button[type=submit]", checkoutForm).disabled = true;
        return;
      }
      box.innerHTML = '<ul class="mini-lines">' + res.data.lines.map((l) =>
        `<li><span>${l.quantity} × ${escapeHtml(l.name)}</span><span>${money(l.line_total)}</span></li>`).join("") + "</ul>";
      renderSummary(res.data);
    });
    // What to fix, in the shopper's words, for a field the browser or the server refused.
    const CHECKOUT_HINTS = {
      email: "Enter your e-mail address, like name@example.com.",
      full_name: "Enter the name of the person we deliver to.",
      line1: "Enter the first line of your address.",
      city: "Enter your town or city.",
      postal_code: "Enter your postcode.",
      country: "Choose the country we deliver to.",
      card_number: "Enter the long number on the front of your card.",
      card_expiry: "Enter the expiry date as MM/YY, for example 12/30.",
      card_cvc: "Enter the 3 or 4 digits on the back of your card.",
    };
    const CHECKS = {
      card_number: (v) => /^\d{12,19}$/.test(v.replace(/[\s-]+/g, "")),
      card_expiry: (v) => /^(0[1-9]|1[0-2])\/\d{2}$/.test(v.trim()),
      card_cvc: (v) => /^\d{3,4}$/.test(v.trim()),
    };
    const checkoutErrors = () => {
      const errors = {};
      Array.from(checkoutForm.elements).filter((el) => CHECKOUT_HINTS[el.name]).forEach((el) => {
        const check = CHECKS[el.name];
        if (!el.checkValidity() || (check && !check(el.value))) errors[el.name] = CHECKOUT_HINTS[el.name];
      });
      return errors;
    };
    const serverErrors = (data) => {
      const errors = {};
      for (const [key, value] of Object.entries(data || {})) {
        if (key === "shipping_address" && value && !Array.isArray(value)) {
          Object.keys(value).forEach((sub) => { errors[sub] = CHECKOUT_HINTS[sub] || capitalise(String(value[sub])); });
        } else if (key === "shipping_address") {
          ["full_name", "line1", "city", "postal_code"].forEach((sub) => { errors[sub] = CHECKOUT_HINTS[sub]; });
        } else if (CHECKOUT_HINTS[key]) {
          errors[key] = CHECKOUT_HINTS[key];
        }
      }
      return errors;
    };
    const summary = (count) => count === 1 ? "Please check the field marked below." : `Please check the ${count} fields marked below.`;
    checkoutForm.addEventListener("input", (event) => {
      const el = event.target;
      if (el.getAttribute("aria-invalid") === "true" && !checkoutErrors()[el.name]) setFieldError(el, "");
    });
    checkoutForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const invalid = checkoutErrors();
      if (showFieldErrors(checkoutForm, invalid)) { showError(checkoutForm, summary(Object.keys(invalid).length)); return; }
      showError(checkoutForm, "");
      const f = checkoutForm.elements;
      // One key per cart: a double click or a retry after a timeout never makes two orders.
      const storeKey = "checkout-key-" + (cartToken || "cart");
      let key = sessionStorage.getItem(storeKey);
      if (!key) { key = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()); sessionStorage.setItem(storeKey, key); }
      const body = {
        email: f.email.value,
        shipping_address: { full_name: f.full_name.value, line1: f.line1.value, line2: f.line2.value, city: f.city.value, postal_code: f.postal_code.value, country: f.country.value },
        card_number: f.card_number.value.replace(/\s+/g, ""),
        card_expiry: f.card_expiry.value || "12/30",
        card_cvc: f.card_cvc.value || "123",
        device_id: localStorage.getItem("device-id") || (() => { const d = String(Math.random()).slice(2, 14); localStorage.setItem("device-id", d); return d; })(),
      };
      const method = $("[data-shipping-methods] input[name=shipping_method]:checked", checkoutForm);
      if (method && method.value) body.shipping_method = Number(method.value);
      const button = $("button[type=submit]", checkoutForm);
      button.disabled = true;
      button.textContent = "Placing your order…";
      const res = await api("POST", "/api/v1/checkout/", body, { "Idempotency-Key": key });
      if (res.status === 201) {
        sessionStorage.removeItem(storeKey);
        window.location.assign("/order/" + encodeURIComponent(res.data.number) + "/");
        return;
      }
      button.disabled = false;
      button.textContent = "Place order";
      if (res.status === 409) sessionStorage.removeItem(storeKey);
      const refused = serverErrors(res.data);
      if (showFieldErrors(checkoutForm, refused)) showError(checkoutForm, summary(Object.keys(refused).length));
      else showError(checkoutForm, errorMessage(res.data));
    });
  }

  /* ---- account: login, register, logout, erase, review ------------------------------------ */
  $$("[data-auth-form]").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const kind = form.dataset.authForm;
      const body = { email: form.email.value, password: form.password.value };
      if (kind === "register") {
        body.first_name = form.first_name.value;
        body.marketing_consent = form.marketing_consent.checked;
      }
      const res = await api("POST", `/api/v1/account/${kind}/`, body);
      if (res.ok) window.location.assign(form.dataset.next || "/account/");
      else showError(form, errorMessage(res.data, "Please check your details."));
    });
  });

  const resetForm = $("[data-password-reset-form]");
  if (resetForm) {
    resetForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      showError(resetForm, "");
      const res = await api("POST", "/api/v1/account/password-reset/", { email: resetForm.email.value });
      const sent = $("[data-testid=password-reset-sent]", resetForm);
      if (res.status === 202) {
        sent.textContent = `If an account uses ${resetForm.email.value}, we have sent it a link. Check your inbox (and spam folder).`;
        sent.hidden = false;
      } else if (res.status === 429) showError(resetForm, "Too many tries. Please wait a minute.");
      else showError(resetForm, errorMessage(res.data, "Please check the e-mail address."));
    });
  }

  const setForm = $("[data-password-set-form]");
  if (setForm) {
    setForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (setForm.new_password.value !== setForm.new_password_again.value) {
        showError(setForm, "The two passwords differ.");
        return;
      }
      const res = await api("POST", "/api/v1/account/password-reset/confirm/", {
        uid: setForm.dataset.uid, token: setForm.dataset.token, new_password: setForm.new_password.value,
      });
      if (res.status === 204) {
        setForm.hidden = true;
        $("[data-password-set-done]").hidden = false;
      } else showError(setForm, errorMessage(res.data, "Please choose another password."));
    });
  }

  const changeForm = $("[data-password-change-form]");
  if (changeForm) {
    changeForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      showError(changeForm, "");
      const done = $("[data-password-changed]", changeForm);
      done.hidden = true;
      const res = await api("POST", "/api/v1/account/password/", {
        current_password: changeForm.current_password.value, new_password: changeForm.new_password.value,
      });
      if (res.status === 204) {
        changeForm.reset();
        done.hidden = false;
      } else showError(changeForm, errorMessage(res.data, "Please check the passwords."));
    });
  }

  $$("[data-logout]").forEach((btn) => btn.addEventListener("click", async () => {
    await api("POST", "/api/v1/account/logout/");
    window.location.assign("/");
  }));

  const eraseForm = $("[data-erase-form]");
  if (eraseForm) {
    eraseForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!window.confirm("Delete your account for good?")) return;
      const res = await api("POST", "/api/v1/account/erase/", { password: eraseForm.password.value, confirm: eraseForm.confirm.checked });
      if (res.status === 204) window.location.assign("/?account=deleted");
      else showError(eraseForm, errorMessage(res.data));
    });
  }

  const prefsForm = $("[data-email-prefs-form]");
  if (prefsForm) {
    prefsForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const saved = $("[data-email-prefs-saved]", prefsForm);
      const button = $("button", prefsForm);
      showError(prefsForm, "");
      saved.hidden = true;
      button.disabled = true;
      const res = await api("PATCH", "/api/v1/account/", { marketing_consent: prefsForm.marketing_consent.checked });
      button.disabled = false;
      if (res.ok) {
        prefsForm.marketing_consent.checked = res.data.marketing_consent;
        saved.textContent = res.data.marketing_consent ? "Saved: we'll e-mail you offers and price drops on your saved items." : "Saved: no more offer or price-drop e-mails.";
        saved.hidden = false;
      } else if (res.status === 401 || res.status === 403) showError(prefsForm, "Please sign in again to change your e-mail preferences.");
      else showError(prefsForm, "We couldn't save your choice just now. Please try again in a moment.");
    });
  }

  const reviewForm = $("[data-review-form]");
  if (reviewForm) {
    reviewForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const rating = Number((reviewForm.querySelector("input[name=rating]:checked") || {}).value || 5);
      const res = await api("POST", `/api/v1/products/${reviewForm.dataset.product}/reviews/`, { rating, title: reviewForm.title.value, body: reviewForm.body.value });
      if (res.ok) { toast("Thanks for your review"); setTimeout(() => window.location.reload(), 600); }
      else showError(reviewForm, errorMessage(res.data));
    });
  }

  /* ---- sold out: "email me when it's back" (stock alerts API) ------------------------------ */
  const alertForm = $("[data-stock-alert-form]");
  if (alertForm) {
    alertForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const email = alertForm.elements.email;
      const button = $("button", alertForm);
      showError(alertForm, "");
      if (email) {
        setFieldError(email, "");
        if (!email.value.trim()) { setFieldError(email, "Enter your e-mail address so we can tell you."); email.focus(); return; }
      }
      button.disabled = true;
      const res = await api("POST", `/api/v1/products/${alertForm.dataset.product}/stock-alert/`, email ? { email: email.value.trim() } : {});
      button.disabled = false;
      const done = $("[data-stock-alert-done]");
      if (res.ok) {
        if (res.status === 200) done.textContent = "You're already on the list: we'll e-mail you as soon as it's back in stock.";
        alertForm.hidden = true;
        done.hidden = false;
        done.setAttribute("tabindex", "-1");
        done.focus();
        return;
      }
      const data = res.data || {};
      if (res.status === 400 && data.code === "in_stock") showError(alertForm, "Good news: it's just come back in stock. Refresh the page to order it.");
      else if (res.status === 400 && email && data.email) { setFieldError(email, capitalise(String(data.email[0]))); email.focus(); }
      else if (res.status === 429) showError(alertForm, "That's a lot of tries in a row. Please wait a minute and try again.");
      else if (res.status === 404) showError(alertForm, "This product is no longer sold here, so we can't tell you when it's back.");
      else showError(alertForm, "We couldn't add you to the list just now. Please try again in a moment.");
    });
  }

  const unsubscribe = $("[data-stock-alert-unsubscribe]");
  if (unsubscribe) {
    unsubscribe.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = $("button", unsubscribe);
      button.disabled = true;
      const res = await api("DELETE", `/api/v1/stock-alerts/${encodeURIComponent(unsubscribe.dataset.token)}/`);
      button.disabled = false;
      const done = $("[data-unsubscribe-done]");
      if (res.ok) { unsubscribe.hidden = true; done.hidden = false; }
      else if (res.status === 404) showError(unsubscribe, "This link doesn't work. Please use the link from your most recent e-mail.");
      else if (res.status === 429) showError(unsubscribe, "That's a lot of tries in a row. Please wait a minute and try again.");
      else showError(unsubscribe, "We couldn't unsubscribe you just now. Please try again in a moment.");
    });
  }

  /* ---- saved items: the hearts (product page, product cards) and the account's list ------ */
  document.addEventListener("click", async (event) => {
    const toggle = event.target.closest("[data-save-toggle]");
    if (!toggle) return;
    event.preventDefault();
    const saved = toggle.getAttribute("aria-pressed") === "true";
    const id = toggle.dataset.saveToggle;
    toggle.disabled = true;
    const res = saved
      ? await api("DELETE", `/api/v1/account/wishlist/${id}/`)
      : await api("POST", "/api/v1/account/wishlist/", { product: Number(id) });
    toggle.disabled = false;
    if (res.status === 401 || res.status === 403) { window.location.href = `/account/login/?next=${encodeURIComponent(window.location.pathname + window.location.search)}`; return; }
    if (!res.ok) { toast(errorMessage(res.data), "error"); return; }
    toggle.setAttribute("aria-pressed", saved ? "false" : "true");
    $(".save-heart", toggle).textContent = saved ? "\u2661" : "\u2665";
    $("[data-save-label]", toggle).textContent = saved ? "Save" : "Saved";
    toast(saved ? "Removed from your saved items" : "Saved: find it under Saved items in your account");
  });

  document.addEventListener("click", async (event) => {
    const btn = event.target.closest("[data-wishlist-remove]");
    if (!btn) return;
    event.preventDefault();
    btn.disabled = true;
    const res = await api("DELETE", `/api/v1/account/wishlist/${btn.dataset.wishlistRemove}/`);
    btn.disabled = false;
    if (!res.ok) { toast(errorMessage(res.data), "error"); return; }
    const row = btn.closest("[data-saved-item]");
    const list = row && row.parentElement;
    if (row) row.remove();
    if (list && !list.children.length) { list.remove(); const empty = $("[data-saved-empty]"); if (empty) empty.hidden = false; }
    toast("Removed from your saved items");
  });

  /* ---- help: suggested answers while typing, tickets via the support API ------------------ */
  const FAQ = [
    { q: "Where is my order?", a: "Most orders are dispatched within one working day. Your order page shows its status.", words: ["where", "order", "arrive", "delivery", "track", "late", "shipping", "parcel"] },
    { q: "How do I return an item?", a: "You have 30 days to return unused items. Write to us with the order number and we send a free label.", words: ["return", "refund", "send back", "exchange", "wrong size", "broken", "damaged"] },
    { q: "Why is my order under review?", a: "Some payments are checked by hand; this takes under 24 hours and your card is not charged until we confirm.", words: ["review", "hold", "held", "pending", "declined", "payment", "card"] },
    { q: "How do I delete my account?", a: "Go to Account → Your data. You can download your data or delete your account there.", words: ["delete", "account", "data", "privacy", "gdpr", "erase"] },
  ];

  function localSuggestions(text) {
    const t = text.toLowerCase();
    return FAQ.map((f) => ({ title: f.q, body: f.a, score: f.words.filter((w) => t.includes(w)).length }))
      .filter((f) => f.score > 0).sort((a, b) => b.score - a.score).slice(0, 3);
  }

  const helpForm = $("[data-help-form]");
  if (helpForm) {
    // the page's words in the shopper's language (storefront/help_texts.py), English if absent
    const textsEl = document.getElementById("help-texts");
    const T = textsEl ? JSON.parse(textsEl.textContent) : {};
    const tr = (key, english) => T[key] || english;
    const panel = $("[data-help-suggestions]");
    let timer;
    const show = (items) => {
      if (!items.length) { panel.hidden = true; return; }
      $("ul", panel).innerHTML = items.map((s) => `<li><strong>${escapeHtml(s.title)}</strong><p>${escapeHtml(s.body)}</p></li>`).join("");
      panel.hidden = false;
    };
    $("[data-help-message]").addEventListener("input", (event) => {
      clearTimeout(timer);
      const text = event.target.value.trim();
      if (text.length < 8) return show([]);
      timer = setTimeout(async () => {
        let items = [];
        try {
          const q = (helpForm.subject.value + " " + text).trim().slice(0, 500);
          const res = await api("GET", "/api/v1/support/answers/suggest/?q=" + encodeURIComponent(q));
          if (res.ok && Array.isArray(res.data)) items = res.data.filter((s) => s.body);
        } catch (e) { items = []; }
        show(items.length ? items : localSuggestions(text));
      }, 300);
    });

    // Shopper words for a ticket's status: "new" and "triaged" are help-desk internals.
    const received = tr("status_received", "received");
    const TICKET_STATUS = { new: received, triaged: received, waiting: tr("status_waiting", "waiting for your reply"), solved: tr("status_answered", "answered") };
    const ticketStatus = (status) => TICKET_STATUS[status] || received;

    async function loadTickets() {
      const box = $("[data-tickets]");
      if (document.body.dataset.loggedIn !== "1") return;
      const res = await api("GET", "/api/v1/support/tickets/mine/");
      if (!res.ok) { box.innerHTML = `<p class="muted">${escapeHtml(tr("no_requests", "No earlier requests."))}</p>`; return; }
      const list = Array.isArray(res.data) ? res.data : res.data.results || [];
      box.innerHTML = list.length
        ? '<ul class="tickets">' + list.map(ticketItem).join("") + "</ul>"
        : `<p class="muted">${escapeHtml(tr("no_requests", "No earlier requests."))}</p>`;
    }

    // Each request opens on its conversation: the shopper reads our replies here.
    const AUTHOR = { customer: tr("author_customer", "You"), agent: tr("author_agent", "Our team"), bot: tr("author_bot", "Automatic answer") };
    function ticketItem(t) {
      const messages = (t.messages || []).map((m) =>
        `<li class="message message-${escapeHtml(m.author)}"><strong>${escapeHtml(AUTHOR[m.author] || AUTHOR.agent)}</strong> ` +
        `<time datetime="${escapeHtml(m.created_at)}">${escapeHtml(new Date(m.created_at).toLocaleString())}</time><p>${escapeHtml(m.body)}</p></li>`).join("");
      const person = t.status !== "solved" && !t.wants_human
        ? `<p><button type="button" class="btn" data-human="${t.id}">${escapeHtml(tr("talk_to_person", "Talk to a person"))}</button></p>` : "";
      return `<li><details data-ticket="${t.id}"><summary><strong>${escapeHtml(t.subject || tr("request", "Request") + " " + t.id)}</strong> ` +
        `<span class="status status-${escapeHtml(t.status)}">${escapeHtml(ticketStatus(t.status))}</span></summary>` +
        `<ol class="conversation">${messages}</ol>${person}` +
        `<form class="ticket-reply" data-ticket-reply="${t.id}"><label>${escapeHtml(tr("your_reply", "Your reply"))} <textarea name="body" rows="3" required maxlength="10000"></textarea></label>` +
        `<p class="form-error" role="alert" hidden></p><button type="submit" class="btn">${escapeHtml(tr("send_reply", "Send reply"))}</button></form></details></li>`;
    }

    document.addEventListener("submit", async (event) => {
      const form = event.target.closest("[data-ticket-reply]");
      if (!form) return;
      event.preventDefault();
      if (!form.reportValidity()) return;
      const id = form.dataset.ticketReply;
      const res = await api("POST", `/api/v1/support/tickets/${id}/messages/`, { body: form.body.value });
      if (!res.ok) { showError(form, errorMessage(res.data)); return; }
      await loadTickets();
      const open = $(`[data-ticket="${id}"]`);
      if (open) open.open = true;
      toast(tr("reply_sent", "Reply sent"));
    });
    loadTickets();

    document.addEventListener("click", async (event) => {
      const btn = event.target.closest("[data-human]");
      if (!btn) return;
      const inList = Boolean(btn.closest("[data-tickets]"));
      const res = await api("POST", `/api/v1/support/tickets/${btn.dataset.human}/human/`);
      btn.replaceWith(document.createTextNode(res.ok ? tr("person_coming", "A person from our team will get back to you.") : tr("person_sign_in", "Please sign in to ask for a person.")));
      if (res.ok && !inList) loadTickets();
    });

    helpForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!helpForm.reportValidity()) return;
      const body = { email: helpForm.email.value, subject: helpForm.subject.value, body: helpForm.message.value, order_number: helpForm.order_number.value };
      const res = await api("POST", "/api/v1/support/tickets/", body);
      if (res.ok) {
        const t = res.data || {};
        const staff = (t.messages || []).filter((m) => m.author !== "customer");
        const answer = t.auto_replied && staff.length ? staff[staff.length - 1].body : "";
        helpForm.innerHTML = `<div class="outcome outcome-confirmed" role="status" data-testid="ticket-created">` +
          `<h2>${escapeHtml(tr("thanks", "Thanks, we have your message"))}</h2><p>${escapeHtml(tr("request", "Request"))} #${escapeHtml(t.id)} · ${escapeHtml(tr("status", "status"))}: <strong>${escapeHtml(ticketStatus(t.status))}</strong>. ` +
          escapeHtml(answer ? tr("person_takes_over", "If the answer below does not help, a person from our team takes over.") : tr("usual_reply", "We usually reply within one working day.")) + "</p>" +
          (answer ? `<h3>${escapeHtml(tr("answer_heading", "An answer that may help right away"))}</h3><p class="answer">${escapeHtml(answer)}</p><p><button type="button" class="btn" data-human="${t.id}">${escapeHtml(tr("talk_to_person", "Talk to a person"))}</button></p>` : "") +
          `</div>`;
        loadTickets();
      } else if (res.status === 404) {
        showError(helpForm, tr("unavailable", "Our help desk is not available right now. Please try again later."));
      } else {
        showError(helpForm, errorMessage(res.data));
      }
    });
  }
})();
