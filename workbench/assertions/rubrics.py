"""The grading prompts of model-graded assertions, with promptfoo 0.121.20's structure.

Prompts that promptfoo sends as a chat are JSON message lists (rendered value by value, see
`grader.render_rubric`); the RAGAS-derived ones are plain text. Variable names match promptfoo's
so a user's `rubricPrompt` written for promptfoo renders the same here: llm-rubric gets
`output`, `rubric` and the test vars; factuality `input`, `ideal`, `completion`; closed QA
`input`, `criteria`, `completion`; select-best `criteria`, `outputs`; g-eval `criteria`,
`steps`, `maxScore`, `input`, `output`; the RAG checks `answer`, `context`, `groundTruth`,
`query`, `question`, `statements`.

The texts follow promptfoo's src/prompts (MIT) and, for the RAG checks, RAGAS (Apache-2.0).
"""

from __future__ import annotations

import json


def _chat(*messages: tuple[str, str]) -> str:
    return json.dumps([{"role": r, "content": c} for r, c in messages])


LLM_RUBRIC = _chat(
    (
        "system",
        "You are grading output according to a user-specified rubric. If the statement in the rubric is "
        "true, then the output passes the test. You respond with a JSON object with this structure: "
        "{reason: string, pass: boolean, score: number}\n\n"
        "Examples:\n\n"
        "<Output>Hello world</Output>\n<Rubric>Content contains a greeting</Rubric>\n"
        '{"reason": "the content contains the word \'Hello\'", "pass": true, "score": 1.0}\n\n'
        "<Output>Avast ye swabs, repel the invaders!</Output>\n<Rubric>Does not speak like a pirate</Rubric>\n"
        '{"reason": "\'avast ye\' is a common pirate term", "pass": false, "score": 0.0}',
    ),
    ("user", "<Output>\n{{ output }}\n</Output>\n<Rubric>\n{{ rubric }}\n</Rubric>"),
)

FACTUALITY = _chat(
    (
        "system",
        "You are a precise factuality evaluator that compares a submitted answer to an expert answer.\n\n"
        "Your task is to analyze the factual content while ignoring differences in style, grammar, or "
        "punctuation.\nYou must categorize the submission into one of these options:\n\n"
        "(A) The submitted answer is a subset of the expert answer and is fully consistent with it.\n"
        "(B) The submitted answer is a superset of the expert answer and is fully consistent with it.\n"
        "(C) The submitted answer contains all the same details as the expert answer.\n"
        "(D) There is a disagreement between the submitted answer and the expert answer.\n"
        "(E) The answers differ, but these differences don't matter from the perspective of factuality.\n\n"
        'Respond ONLY with a JSON object in this format:\n{\n  "category": "[LETTER]",\n'
        '  "reason": "[DETAILED EXPLANATION]"\n}\n\n'
        '- The "category" must be a single letter A, B, C, D, or E.\n'
        '- Provide a clear, detailed explanation in the "reason" field.\n'
        "- Your response must be valid JSON with no additional text.",
    ),
    (
        "user",
        "I need you to compare these answers:\n\n<question>\n{{input}}\n</question>\n\n"
        "<expert_answer>\n{{ideal}}\n</expert_answer>\n\n<submitted_answer>\n{{completion}}\n"
        "</submitted_answer>\n\nPlease analyze the factual relationship between these answers according "
        "to the categories you've been given.",
    ),
)

FACTUALITY_CATEGORIES = {
    "A": "The submitted answer is a subset of the expert answer and is fully consistent with it.",
    "B": "The submitted answer is a superset of the expert answer and is fully consistent with it.",
    "C": "The submitted answer contains all the same details as the expert answer.",
    "D": "There is a disagreement between the submitted answer and the expert answer.",
    "E": "The answers differ, but these differences don't matter from the perspective of factuality.",
}

CLOSED_QA = _chat(
    (
        "system",
        "You are assessing a submitted answer on a given task based on a criterion. Here is the data:\n"
        "[BEGIN DATA]\n***\n[Task]: {{input}}\n***\n[Submission]: {{completion}}\n***\n"
        "[Criterion]: {{criteria}}\n***\n[END DATA]\n"
        "Does the submission meet the criterion? First, write out in a step by step manner your reasoning "
        "about the criterion to be sure that your conclusion is correct. Avoid simply stating the correct "
        'answers at the outset. Then print only the single character "Y" or "N" (without quotes or '
        "punctuation) on its own line corresponding to the correct answer. At the end, repeat just the "
        "letter again by itself on a new line.\n\n    Reasoning:",
    ),
)

SELECT_BEST = _chat(
    (
        "system",
        "You are comparing multiple pieces of text to see which best fits the following criteria: "
        "{{criteria}}\n\nHere are the pieces of text:\n\n{% for output in outputs %}\n"
        '<Text index="{{ loop.index0 }}">\n{{ output }}\n</Text>\n{% endfor %}\n\n'
        "Output the index of the text that best fits the criteria. You must output a single integer.",
    ),
)

GEVAL_STEPS = (
    "\nGiven evaluation criteria that outline how you should judge a piece of text, generate 3-4 concise "
    "evaluation steps applicable to any text based on the criteria below and designed to check whether "
    "the criteria are satisfied by the text.\n\n**EVALUATION CRITERIA**\n{{criteria}}\n\n"
    "**OUTPUT FORMAT**\nIMPORTANT:\n- Return output ONLY as a minified JSON object (no code fences).\n"
    '- The JSON object must contain a single key, "steps", whose value is a list of strings.\n'
    "- Each string must represent one evaluation step.\n"
    "- Do NOT include any explanations, commentary, extra text, or additional formatting.\n\n"
    'Format:\n{"steps": <list_of_strings>}\n\nExample:\n'
    '{"steps":["<Evaluation Step 1>","<Evaluation Step 2>","<Evaluation Step 3>","<Evaluation Step 4>"]}\n\n'
    "Here are the 3-4 concise evaluation steps, formatted as required in a minified JSON:\nJSON:\n"
)

GEVAL_EVALUATE = (
    "\nYou will be given one Reply for a Prompt below. Your task is to rate the Reply on one metric.\n"
    "Please make sure you read and understand these instructions carefully. Please keep this document "
    "open while reviewing, and refer to it as needed.\n\n**Evaluation Criteria**\n{{criteria}}\n\n"
    "**Evaluation Steps**\n- {{steps}}\nGiven the evaluation steps, return a JSON with two keys: \n"
    '  1) a "score" key that MUST be an integer from 0 to {{maxScore}}, where {{maxScore}} indicates that '
    "the condition described by the Evaluation Criteria is fully and clearly observed in the Reply "
    "according to the Evaluation Steps, and 0 indicates that it is not observed at all;\n"
    '  2) a "reason" key, a reason for the given score, but DO NOT QUOTE THE SCORE in your reason. Please '
    "mention specific information from Prompt and Reply in your reason, but be very concise with it!\n\n"
    "**Prompt**\n{{input}}\n\n**Reply**\n{{output}}\n\n**OUTPUT FORMAT**\nIMPORTANT: \n"
    "- Return output ONLY as a minified JSON object (no code fences).\n"
    '- The JSON object must contain exactly two keys: "score" and "reason".\n'
    "- No additional words, explanations, or formatting are needed.\n\n"
    'Example JSON:\n{"score":0,"reason":"The text of reply does not follow the evaluation criteria provided."}\n\n'
    "Here is the final evaluation in the required minified JSON format:\nJSON:\n"
)

ANSWER_RELEVANCY_GENERATE = (
    "Generate question for the given answer.\nAnswer:\\nThe PSLV-C56 mission is scheduled to be launched on "
    "Sunday, 30 July 2023 at 06:30 IST / 01:00 UTC. It will be launched from the Satish Dhawan Space "
    "Centre, Sriharikota, Andhra Pradesh, India\nQuestion: When is the scheduled launch date and time for "
    "the PSLV-C56 mission, and where will it be launched from?\n\nAnswer:{{answer}}\nQuestion:"
)

CONTEXT_RECALL = (
    "Given a context, and an answer, analyze each sentence in the answer and classify if the sentence can "
    "be attributed to the given context or not.\nThink in steps and reason before coming to conclusion.\n\n"
    "context: Albert Einstein (14 March 1879 - 18 April 1955) was a German-born theoretical physicist, "
    "widely held to be one of the greatest and most influential scientists of all time. He received the "
    '1921 Nobel Prize in Physics "for his services to theoretical physics".\n'
    "answer: Albert Einstein born in 14 March 1879 was German-born theoretical physicist. He received the "
    "1921 Nobel Prize in Physics. He published 4 papers in 1905.\nclassification\n"
    "1. Albert Einstein born in 14 March 1879 was German-born theoretical physicist. The date of birth is "
    "mentioned clearly in the context. So [Attributed]\n"
    "2. He received the 1921 Nobel Prize in Physics. The exact sentence is present in the given context. "
    "So [Attributed]\n"
    "3. He published 4 papers in 1905. There is no mention about papers he wrote in the given context. "
    "So [Not Attributed]\n\ncontext:{{context}}\nanswer:{{groundTruth}}\nclassification:\n"
)
CONTEXT_RECALL_ATTRIBUTED = "[Attributed]"
CONTEXT_RECALL_NOT_ATTRIBUTED = "[Not Attributed]"

CONTEXT_RELEVANCE = (
    "Please extract relevant sentences from the provided context that is absolutely required answer the "
    "following query. If no relevant sentences are found, or if you believe the query cannot be answered "
    'from the given context, return the phrase "Insufficient Information".  While extracting candidate '
    "sentences you're not allowed to make any changes to sentences from given context.\n\n"
    "query: {{query}}\ncontext: {{context}}\ncandidate sentences:\n"
)
CONTEXT_RELEVANCE_BAD = "Insufficient Information"

CONTEXT_FAITHFULNESS_LONGFORM = (
    "Given a question and answer, create one or more statements from each sentence in the given answer.\n"
    "question: Who was  Albert Einstein and what is he best known for?\n"
    "answer: He was a German-born theoretical physicist, widely acknowledged to be one of the greatest and "
    "most influential physicists of all time. He was best known for developing the theory of relativity.\n"
    "statements:\\nAlbert Einstein was born in Germany.\\nAlbert Einstein was best known for his theory of "
    "relativity.\nquestion: Were Shahul and Jithin of the same nationality?\n"
    "answer: They were from different countries.\n"
    "statements:\\nShahul and Jithin were from different countries.\n"
    "question:{{question}}\nanswer: {{answer}}\nstatements:\\n"
)

CONTEXT_FAITHFULNESS_NLI = (
    "Prompt: Natural language inference\nConsider the given context and following statements, then "
    "determine whether they are supported by the information present in the context.Provide a brief "
    "explanation for each statement before arriving at the verdict (Yes/No). Provide a final verdict for "
    "each statement in order at the end in the given format. Do not deviate from the specified format.\n\n"
    "Context:\\nJohn is a student at XYZ University. He is pursuing a degree in Computer Science.\n"
    "statements:\\n1. John is majoring in Biology.\\n2. John is a dedicated student.\\n\nAnswer:\n"
    "1. John is majoring in Biology.\nExplanation: John's major is explicitly mentioned as Computer "
    "Science. Verdict: No.\n2. John is a dedicated student.\nExplanation: He studies a significant amount "
    "of time. Verdict: Yes.\nFinal verdict for each statement in order: No. Yes.\n"
    'context:\\n{{context}}\nstatements:\\n{{statements|join("\\n")}}\nAnswer:\n'
)
