"""Corpora for the redaction scan: names from many languages, and ordinary summaries that name nobody."""

NAMES = [
    # English-speaking countries, including names that are also English words
    "Will", "Ruby", "Grace", "Mark", "Jayden", "Olivia", "Harry", "Amelia", "Noah", "Isla", "Hope", "Jack",
    "DeShawn", "LaToya", "Jamal",
    # Irish, Welsh, Scottish
    "Siobhán", "Seán", "Aoife", "Niamh", "Oisín", "Caoimhe", "Ŵyn", "Dafydd", "Rhiannon", "Gethin", "Eilidh",
    "Mhairi", "Hamish",
    # French, Spanish, Portuguese, Italian
    "Chloé", "Zoë", "Hélène", "François", "Anaïs", "José", "María", "Iñaki", "Lucía", "João", "Conceição",
    "Giuseppe",
    # Polish, Czech, Romanian, Hungarian, Turkish, German, Scandinavian
    "Łukasz", "Małgorzata", "Wojciech", "Zofia", "Jiří", "Dragoș", "Ioana", "Zsófia", "Ayşe", "Mehmet",
    "Çağla", "Jürgen", "Søren", "Björn", "Åsa",
    # Greek, Cyrillic, Arabic, South Asian, East Asian
    "Γιώργος", "Дмитрий", "Олена", "محمد", "Fatima", "Yusuf", "Priya", "Arjun", "Aarav", "प्रिया", "王芳",
    "Wei", "Nguyễn", "Thảo", "Hiroshi", "Yuki",
    # West African
    "Oluwaseun", "Chidi", "Kwame", "Ngozi", "Kofi", "Amara",
    # surnames and joined names
    "McDonald", "O'Neill", "MacLeod", "D'Angelo", "Mary-Jane", "Jean-Luc",
]

# Where a name stands in a sentence: at the start, inside, possessive, after a comma.
TEMPLATES = [
    "{name} explained how the strip was folded in half.",
    "Then {name} compared the two fractions on the number line.",
    "The bar model helped {name} most in the second stage.",
    "We noticed that {name}'s answer changed after the talk partner activity.",
]

ORDINARY = [
    "Pupils compared fractions well when they drew bar models first.",
    "Asking pupils to explain to a talk partner before writing helped most.",
    "Next year we will start every fractions lesson with a bar model.",
    "Pupil A moved from counting squares to folding strips.",
    "Key questions such as 'How do you know?' made the case pupils justify their answers.",
    "Will pupils remember the strategy after half term? We plan to check in the next cycle.",
    "In May we taught the second research lesson; in June the group met to discuss it.",
    "Partitioning two-digit numbers was secure for most of the class, but exchanging was not.",
    "Misconceptions about equal parts appeared when the shapes were not regular.",
    "Manipulatives such as Numicon and Cuisenaire rods helped pupils see the size of each part.",
    "The knowledgeable other suggested we look at the NCETM materials on equivalence.",
    "Success criteria written in pupils' own words were easier for them to check.",
    "Observers saw that Pupil B hesitated before every written answer but explained well orally.",
    "Group work was most productive when each pupil had a clear role.",
    "Art and design lessons could use the same approach to modelling.",
    "During the summer term the group shared the findings with the whole staff.",
    "Reading aloud the word problem twice reduced the number of errors in the second stage.",
    "Children who usually wait for help started the task on their own when the first step was modelled.",
    "Vocabulary such as numerator and denominator was used correctly by the end of the lesson.",
    "Teachers agreed that the plenary was too short to address the misconceptions we had predicted.",
    "Mini whiteboards let the teacher see every answer at once and adjust the next question.",
    "Subitising games at the start of the lesson settled the class quickly.",
    "Phonics groups were reorganised after the first research lesson showed gaps in blending.",
    "Writing frames helped the case pupils organise their explanations into sentences.",
    "Scaffolds were removed gradually across the three research lessons.",
    "Discussion with a partner before answering increased the number of pupils who volunteered.",
    "Comparing unit fractions was harder than we expected: many pupils thought a larger denominator meant a larger fraction.",
    "Estimating first and then measuring made the science investigation more careful.",
    "Questioning that asked 'why' rather than 'what' led to longer answers from Pupil C.",
    "Next steps: repeat the folding activity with thirds and sixths, and add a reasoning question at the end.",
    "Retrieval practice at the start of each lesson helped pupils recall the previous week's work.",
    "The EEF guidance on metacognition shaped how we planned the modelling stage.",
    "Sentence stems such as 'I think ... because ...' were used by all three case pupils by RL3.",
    "Feedback given during the lesson was more useful than written marking afterwards.",
    "Concrete, pictorial and abstract representations were sequenced across the cycle.",
    "Mathematical talk improved when the teacher modelled the language first.",
    "However, the timing of the main task was too tight for the slower writers.",
    "Overall, the group found that predicting each pupil's response sharpened the planning.",
    "Challenge cards extended the pupils who finished early without a separate worksheet.",
    "Spelling patterns were practised with a short dictation at the end of the lesson.",
]
