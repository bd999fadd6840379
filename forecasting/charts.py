"""Plotly specs for the merchant pages (rendered by plotly.js served from the wheel)."""

from __future__ import annotations

from typing import Any

from forecasting.facade import ProductForecast

LAYOUT = {
    "margin": {"l": 50, "r": 20, "t": 30, "b": 40},
    "height": 360,
    "legend": {"orientation": "h"},
}


def product_chart(fc: ProductForecast) -> dict[str, Any]:
    """History (bars, stockout days in red), forecast line, 80 % and 95 % bands."""
    hx = [p.date.isoformat() for p in fc.history]
    fx = [p.date.isoformat() for p in fc.forecast]
    out = [p for p in fc.history if p.stockout]

    def band(lo: list[float], hi: list[float], name: str, alpha: float) -> list[dict[str, Any]]:
        return [
            {
                "type": "scatter",
                "mode": "lines",
                "x": fx,
                "y": hi,
                "line": {"width": 0},
                "showlegend": False,
                "hoverinfo": "skip",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "x": fx,
                "y": lo,
                "fill": "tonexty",
                "fillcolor": f"rgba(65,118,144,{alpha})",
                "line": {"width": 0},
                "name": name,
            },
        ]

    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": "Units sold",
            "x": hx,
            "y": [p.quantity for p in fc.history],
            "marker": {"color": "#9bb7c9"},
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Stockout (demand censored)",
            "x": [p.date.isoformat() for p in out],
            "y": [p.quantity for p in out],
            "marker": {"color": "#b00020", "symbol": "x", "size": 9},
        },
        *band([p.lo95 for p in fc.forecast], [p.hi95 for p in fc.forecast], "95 % interval", 0.15),
        *band([p.lo80 for p in fc.forecast], [p.hi80 for p in fc.forecast], "80 % interval", 0.3),
        {
            "type": "scatter",
            "mode": "lines",
            "name": f"Forecast ({fc.source})",
            "x": fx,
            "y": [p.forecast for p in fc.forecast],
            "line": {"color": "#205067", "width": 2},
        },
    ]
    return {"data": data, "layout": {**LAYOUT, "yaxis": {"title": {"text": "units / day"}}}}


def accuracy_chart(rows: list[Any]) -> dict[str, Any]:
    """Backtest MASE (model vs seasonal naive) and WAPE per training run, oldest first."""
    rows = sorted(rows, key=lambda r: r.computed_at)
    x = [r.computed_at.isoformat() for r in rows]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "MASE (model)",
                "x": x,
                "y": [r.mase for r in rows],
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "MASE (seasonal naive)",
                "x": x,
                "y": [r.baseline_mase for r in rows],
                "line": {"dash": "dot"},
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "WAPE",
                "x": x,
                "y": [r.wape for r in rows],
                "yaxis": "y2",
            },
        ],
        "layout": {
            **LAYOUT,
            "yaxis": {"title": {"text": "MASE"}},
            "yaxis2": {"title": {"text": "WAPE"}, "overlaying": "y", "side": "right"},
        },
    }
