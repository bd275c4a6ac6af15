"""The words of the evaluation report and the survey form, in the network's four languages."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Evaluation report", "program": "Program", "cohort": "Cohort",
        "all_cohorts": "all cohorts", "summary": "Summary", "participation": "Participation",
        "methods": "Methods", "results": "Results", "items": "Knowledge items",
        "strata": "Results by discipline and country", "satisfaction": "Satisfaction",
        "limits": "Limits", "charts": "Charts", "instrument": "Instrument",
        "n_pre": "Answered before", "n_post": "Answered after", "n_matched": "Matched pairs",
        "unmatched_pre": "Before only", "unmatched_post": "After only",
        "attrition": "Attrition", "mean_pre": "Mean before (SD)",
        "mean_post": "Mean after (SD)", "mean_change": "Mean change (95% CI)",
        "paired_t": "Paired t", "wilcoxon": "Wilcoxon signed-rank", "d_z": "Cohen's d_z (95% CI)",
        "g_av": "Hedges' g_av (95% CI)", "moore": "Moore level", "item": "Item",
        "correct_pre": "Correct before", "correct_post": "Correct after",
        "mcnemar_p": "McNemar p", "holm_p": "Holm-adjusted p", "stratum": "Group", "n": "n",
        "suppressed": "<11 (suppressed)", "post_mean": "Mean score after (SD)",
        "no_pairs": "Too few matched pairs for paired statistics.",
        "summary_text": "{matched} mentees answered both evaluations of {instrument}; their "
                        "mean score changed by {change} (95% CI {ci}), paired t {p}, "
                        "effect size d_z = {dz}.",
        "participation_text": "{pre} mentees answered a pre-evaluation and {post} a "
                              "post-evaluation.",
        "methods_text": "Pre- and post-evaluation responses were paired by the mentee's role in "
                        "the program; each mentee's latest response per phase counts. "
                        "Knowledge tests score percent correct; scales score the mean of "
                        "their items after flipping reverse-coded items. Paired t-tests and "
                        "Wilcoxon signed-rank tests (exact for small samples) compare scores; "
                        "effect sizes are Cohen's d_z and Hedges' g_av with 95% confidence "
                        "intervals; items are compared with McNemar's test, Holm-corrected. "
                        "Results follow Moore's levels of outcomes.",
        "limits_text": "Self-reported scales measure confidence, not practice. Mentees who "
                       "left before the post-evaluation are not in the paired results "
                       "(attrition). Groups of 1 to 10 mentees are suppressed.",
        "chart_pairs": "Score before and after, per mentee",
        "chart_change": "Distribution of change", "chart_items": "Share correct per item",
        "before": "Before", "after": "After", "change": "Change",
        "sessions_text": "The program held {sessions} sessions with {participants} "
                         "participants: {hours} participant-hours.",
        "form_intro": "Please answer every question. The link works once.",
        "submit": "Submit", "thanks": "Thank you: your answers were recorded.",
        "link_used": "This link was already used or has expired.",
    },
    "es": {
        "title": "Informe de evaluación", "program": "Programa", "cohort": "Cohorte",
        "all_cohorts": "todas las cohortes", "summary": "Resumen",
        "participation": "Participación", "methods": "Métodos", "results": "Resultados",
        "items": "Preguntas de conocimiento",
        "strata": "Resultados por disciplina y país", "satisfaction": "Satisfacción",
        "limits": "Limitaciones", "charts": "Gráficos", "instrument": "Instrumento",
        "n_pre": "Respondieron antes", "n_post": "Respondieron después",
        "n_matched": "Pares emparejados", "unmatched_pre": "Solo antes",
        "unmatched_post": "Solo después", "attrition": "Abandono",
        "mean_pre": "Media antes (DE)", "mean_post": "Media después (DE)",
        "mean_change": "Cambio medio (IC 95%)", "paired_t": "t pareada",
        "wilcoxon": "Rangos con signo de Wilcoxon", "d_z": "d_z de Cohen (IC 95%)",
        "g_av": "g_av de Hedges (IC 95%)", "moore": "Nivel de Moore", "item": "Pregunta",
        "correct_pre": "Correctas antes", "correct_post": "Correctas después",
        "mcnemar_p": "p de McNemar", "holm_p": "p ajustada (Holm)", "stratum": "Grupo",
        "n": "n", "suppressed": "<11 (suprimido)",
        "post_mean": "Puntaje medio después (DE)",
        "no_pairs": "Muy pocos pares para estadísticas pareadas.",
        "summary_text": "{matched} mentorados respondieron ambas evaluaciones de {instrument}; "
                        "su puntaje medio cambió {change} (IC 95% {ci}), t pareada {p}, "
                        "tamaño del efecto d_z = {dz}.",
        "participation_text": "{pre} mentorados respondieron una evaluación previa y {post} "
                              "una evaluación posterior.",
        "methods_text": "Las respuestas previas y posteriores se emparejaron por el rol del "
                        "mentorado en el programa; cuenta la última respuesta de cada fase. "
                        "Las pruebas de conocimiento puntúan el porcentaje de aciertos; las "
                        "escalas, la media de sus ítems tras invertir los ítems inversos. Se "
                        "usan la t pareada y la prueba de rangos con signo de Wilcoxon (exacta "
                        "para muestras pequeñas); los tamaños del efecto son d_z de Cohen y "
                        "g_av de Hedges con intervalos de confianza del 95%; las preguntas se "
                        "comparan con la prueba de McNemar con corrección de Holm. Los "
                        "resultados siguen los niveles de Moore.",
        "limits_text": "Las escalas autoinformadas miden confianza, no práctica. Quienes se "
                       "retiraron antes de la evaluación posterior no están en los resultados "
                       "pareados (abandono). Los grupos de 1 a 10 mentorados se suprimen.",
        "chart_pairs": "Puntaje antes y después, por mentorado",
        "chart_change": "Distribución del cambio", "chart_items": "Aciertos por pregunta",
        "before": "Antes", "after": "Después", "change": "Cambio",
        "sessions_text": "El programa realizó {sessions} sesiones con {participants} "
                         "participantes: {hours} horas-participante.",
        "form_intro": "Responda todas las preguntas. El enlace funciona una sola vez.",
        "submit": "Enviar", "thanks": "Gracias: sus respuestas fueron registradas.",
        "link_used": "Este enlace ya fue usado o ha vencido.",
    },
    "pt": {
        "title": "Relatório de avaliação", "program": "Programa", "cohort": "Coorte",
        "all_cohorts": "todas as coortes", "summary": "Resumo",
        "participation": "Participação", "methods": "Métodos", "results": "Resultados",
        "items": "Questões de conhecimento",
        "strata": "Resultados por disciplina e país", "satisfaction": "Satisfação",
        "limits": "Limitações", "charts": "Gráficos", "instrument": "Instrumento",
        "n_pre": "Responderam antes", "n_post": "Responderam depois",
        "n_matched": "Pares pareados", "unmatched_pre": "Somente antes",
        "unmatched_post": "Somente depois", "attrition": "Perda de seguimento",
        "mean_pre": "Média antes (DP)", "mean_post": "Média depois (DP)",
        "mean_change": "Mudança média (IC 95%)", "paired_t": "t pareado",
        "wilcoxon": "Postos sinalizados de Wilcoxon", "d_z": "d_z de Cohen (IC 95%)",
        "g_av": "g_av de Hedges (IC 95%)", "moore": "Nível de Moore", "item": "Questão",
        "correct_pre": "Acertos antes", "correct_post": "Acertos depois",
        "mcnemar_p": "p de McNemar", "holm_p": "p ajustado (Holm)", "stratum": "Grupo",
        "n": "n", "suppressed": "<11 (suprimido)",
        "post_mean": "Pontuação média depois (DP)",
        "no_pairs": "Poucos pares para estatísticas pareadas.",
        "summary_text": "{matched} mentorados responderam às duas avaliações de {instrument}; "
                        "a pontuação média mudou {change} (IC 95% {ci}), t pareado {p}, "
                        "tamanho do efeito d_z = {dz}.",
        "participation_text": "{pre} mentorados responderam a uma avaliação prévia e {post} a "
                              "uma avaliação posterior.",
        "methods_text": "As respostas prévias e posteriores foram pareadas pelo papel do "
                        "mentorado no programa; conta a última resposta de cada fase. Os "
                        "testes de conhecimento pontuam a porcentagem de acertos; as escalas, "
                        "a média dos itens após inverter os itens reversos. Usam-se o t "
                        "pareado e o teste de postos sinalizados de Wilcoxon (exato para "
                        "amostras pequenas); os tamanhos de efeito são d_z de Cohen e g_av de "
                        "Hedges com intervalos de confiança de 95%; as questões são comparadas "
                        "com o teste de McNemar com correção de Holm. Os resultados seguem os "
                        "níveis de Moore.",
        "limits_text": "Escalas autorrelatadas medem confiança, não prática. Quem saiu antes "
                       "da avaliação posterior não está nos resultados pareados (perda de "
                       "seguimento). Grupos de 1 a 10 mentorados são suprimidos.",
        "chart_pairs": "Pontuação antes e depois, por mentorado",
        "chart_change": "Distribuição da mudança", "chart_items": "Acertos por questão",
        "before": "Antes", "after": "Depois", "change": "Mudança",
        "sessions_text": "O programa realizou {sessions} sessões com {participants} "
                         "participantes: {hours} horas-participante.",
        "form_intro": "Responda a todas as perguntas. O link funciona uma única vez.",
        "submit": "Enviar", "thanks": "Obrigado: suas respostas foram registradas.",
        "link_used": "Este link já foi usado ou expirou.",
    },
    "fr": {
        "title": "Rapport d'évaluation", "program": "Programme", "cohort": "Cohorte",
        "all_cohorts": "toutes les cohortes", "summary": "Synthèse",
        "participation": "Participation", "methods": "Méthodes", "results": "Résultats",
        "items": "Questions de connaissances",
        "strata": "Résultats par discipline et par pays", "satisfaction": "Satisfaction",
        "limits": "Limites", "charts": "Graphiques", "instrument": "Instrument",
        "n_pre": "Réponses avant", "n_post": "Réponses après", "n_matched": "Paires appariées",
        "unmatched_pre": "Avant seulement", "unmatched_post": "Après seulement",
        "attrition": "Attrition", "mean_pre": "Moyenne avant (ET)",
        "mean_post": "Moyenne après (ET)", "mean_change": "Variation moyenne (IC 95 %)",
        "paired_t": "t apparié", "wilcoxon": "Rangs signés de Wilcoxon",
        "d_z": "d_z de Cohen (IC 95 %)", "g_av": "g_av de Hedges (IC 95 %)",
        "moore": "Niveau de Moore", "item": "Question", "correct_pre": "Réussite avant",
        "correct_post": "Réussite après", "mcnemar_p": "p de McNemar",
        "holm_p": "p ajusté (Holm)", "stratum": "Groupe", "n": "n",
        "suppressed": "<11 (masqué)", "post_mean": "Score moyen après (ET)",
        "no_pairs": "Trop peu de paires pour des statistiques appariées.",
        "summary_text": "{matched} mentorés ont répondu aux deux évaluations de {instrument} ; "
                        "leur score moyen a varié de {change} (IC 95 % {ci}), t apparié "
                        "{p}, taille d'effet d_z = {dz}.",
        "participation_text": "{pre} mentorés ont répondu à une évaluation initiale et {post} "
                              "à une évaluation finale.",
        "methods_text": "Les réponses initiales et finales sont appariées par le rôle du "
                        "mentoré dans le programme ; la dernière réponse de chaque phase "
                        "compte. Les tests de connaissances donnent le pourcentage de bonnes "
                        "réponses ; les échelles, la moyenne de leurs items après inversion "
                        "des items inversés. Les scores sont comparés par le t apparié et le "
                        "test des rangs signés de Wilcoxon (exact pour les petits "
                        "échantillons) ; les tailles d'effet sont le d_z de Cohen et le g_av de "
                        "Hedges avec intervalles de confiance à 95 % ; les questions sont "
                        "comparées par le test de McNemar corrigé selon Holm. Les résultats "
                        "suivent les niveaux de Moore.",
        "limits_text": "Les échelles auto-déclarées mesurent la confiance, pas la pratique. "
                       "Les mentorés partis avant l'évaluation finale ne figurent pas dans les "
                       "résultats appariés (attrition). Les groupes de 1 à 10 mentorés sont "
                       "masqués.",
        "chart_pairs": "Score avant et après, par mentoré",
        "chart_change": "Distribution de la variation",
        "chart_items": "Bonnes réponses par question",
        "before": "Avant", "after": "Après", "change": "Variation",
        "sessions_text": "Le programme a tenu {sessions} séances avec {participants} "
                         "participants : {hours} heures-participant.",
        "form_intro": "Merci de répondre à toutes les questions. Le lien ne sert qu'une fois.",
        "submit": "Envoyer", "thanks": "Merci : vos réponses ont été enregistrées.",
        "link_used": "Ce lien a déjà servi ou a expiré.",
    },
}


def labels(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS["en"])
