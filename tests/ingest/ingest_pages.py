"""Small HTML pages written for the ingest tests (no corpus text)."""

from __future__ import annotations

import json

UK_TEXT = (
    "Київ отримав нову партію обладнання для відновлення енергетичної системи після атак. "
    "Міністр енергетики повідомив, що генератори вже їдуть до громад на сході країни, де "
    "найбільше потребують світла та тепла. Місцева влада готує пункти незламності, а інженери "
    "ремонтують підстанції цілодобово. Ґрунтовний план передбачає також захист об'єктів, "
    "щоб їхня робота не зупинялася навіть під час нових ударів по інфраструктурі."
)
RU_TEXT = (
    "Москва объявила о новых мерах поддержки малого бизнеса в этом году. Министр экономики "
    "сообщил, что компании смогут получить льготные кредиты, а отчётность станет проще. "
    "Эксперты считают, что это поможет сохранить рабочие места в регионах, где выручка "
    "упала сильнее всего. Подробности программы объявят после обсуждения в правительстве, "
    "а первые заявки начнут принимать уже весной."
)
EN_TEXT = (
    "The city council approved a new plan to repair the old bridge across the river on "
    "Tuesday. Engineers said the work would start next spring and take about two years, "
    "while ferries will carry commuters during the closure. Residents welcomed the decision "
    "after months of debate about the cost, which will be shared by the region and the state. "
    "The mayor promised regular updates on the progress of the repairs."
)


def article_page(*, title: str = "Bridge repair approved", text: str = EN_TEXT,
                 lang: str = "en", charset: str | None = "utf-8", head: str = "",
                 json_ld: dict | None = None) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    ld = (f'<script type="application/ld+json">{json.dumps(json_ld, ensure_ascii=False)}'
          "</script>") if json_ld else ""
    paragraphs = "".join(f"<p>{sentence.strip()}.</p>" for sentence in text.split(". ") if sentence)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head>{meta}<title>{title} | Daily News</title>'
        f"{head}{ld}</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<main><article><h1>{title}</h1>{paragraphs}</article></main>"
        "<footer>© Daily News. All rights reserved.</footer></body></html>"
    )
