"""Deterministic synthetic posts: the built-in demo stream, and the benchmarks' workload.

No external data. A stream looks like a slice of a real social network:

* ~2,000 authors with Zipf-like activity (a few post a lot, most rarely), handles, names,
  follower counts; a few verified news and official accounts; a few hundred bot-like accounts;
* everyday chatter built from sentence templates over a vocabulary of a few thousand words,
  mostly English, some Spanish, German, French, Japanese and Portuguese (`lang` is set);
* a handful of breaking-news events (an earthquake, a stadium power outage, a product launch,
  a wildfire, a river flood) that start at a point of the stream, burst and fade, each with
  its own vocabulary and hashtags, and official updates from verified accounts;
* replies and quotes of earlier posts, ~5 % retweets (`RT @handle: <text>`, `repost_of` set),
  copy-paste campaigns (one text, a word or URL varied, posted by many accounts);
* photos with alt text, some geotags; `created_at` from Poisson arrivals at `rate_per_s`.

The same `seed`, `n`, `start` and `rate_per_s` always give the same posts. Generation is
built for speed (it feeds million-post benchmarks): templates are compiled once into lists
of literal and slot parts, random draws use one bound `random()`, and hashtags, mentions and
URLs are set directly instead of being extracted from the text with regexes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import orjson

from .model import Author, Geo, Media, Metrics, Post, to_us

__all__ = ["DEFAULT_START", "EVENTS", "generate", "demo_lines", "line_of"]

DEFAULT_START = datetime(2026, 1, 15, 12, 0, 0, tzinfo=timezone.utc)
_SNOWFLAKE_EPOCH_MS = 1_288_834_974_657  # ids look like X snowflakes: time-ordered integers

# --------------------------------------------------------------------------------------
# Vocabulary (English). Lists are ordered roughly by how common the word is: slots draw
# with a bias towards the front, so word frequencies come out Zipf-like.
# --------------------------------------------------------------------------------------


def _w(s: str) -> list[str]:
    return s.split()


def _l(s: str) -> list[str]:
    return [x.strip() for x in s.strip().split("|") if x.strip()]


NOUNS = _w("""
coffee phone day week weekend morning night time work job game show movie song album music
book car bus train traffic weather rain sun snow wind dog cat kid baby friend family house
apartment room kitchen office meeting email boss team school class exam homework teacher
lunch dinner breakfast pizza burger taco salad sandwich soup pasta sushi ramen cake cookie
donut bagel tea beer wine juice water bread cheese chicken rice noodles fries chocolate
laptop computer keyboard screen battery charger headphones playlist podcast video photo
picture selfie post thread update news story article meme joke vibe mood energy plan idea
problem question answer reason thing stuff place city town street park beach lake river
mountain trail gym workout run walk hike bike ride flight trip vacation hotel airport
ticket concert festival party wedding birthday holiday shift paycheck rent bill budget
store mall market shop deal sale package delivery order app update bug feature website
password account server cloud code project deadline report presentation spreadsheet
garden plant flower tree grass yard porch window door couch bed pillow blanket shower
laundry dishes groceries fridge oven microwave alarm clock calendar schedule appointment
doctor dentist nurse hospital pharmacy medicine headache cold flu allergy sleep nap dream
neighbor roommate coworker cousin brother sister mom dad grandma grandpa uncle aunt
puppy kitten bird squirrel horse fish garden sunset sunrise sky moon star cloud storm
season episode finale trailer series channel stream streamer gamer console controller
match score goal touchdown referee coach player fan fans stadium league season playoff
jersey ticket halftime crowd chant anthem band drummer guitar singer rapper lyrics
recipe kitchen knife pan pot spoon plate bowl mug cup bottle jar snack dessert
library museum gallery theater cinema bookstore bakery cafe restaurant bar pub diner
subway station platform ticket line queue crowd sidewalk bridge highway road exit
jacket sweater hoodie shoes boots socks hat umbrella backpack wallet keys glasses
advice attitude balance chance choice comfort courage decision effort excuse experience
focus freedom goal habit honesty hope humor impact joy knowledge luck memory mistake
moment motivation nostalgia opinion patience peace pressure priority progress promise
routine silence skill success support surprise talent theory trust truth wisdom worry
agenda anniversary argument auction audition barbecue brunch carnival ceremony commute
conference contest debate deadline detour errand fundraiser graduation heatwave hangover
interview layoff lecture marathon merger outage picnic podcast promotion raffle recital
rehearsal reunion roadtrip sleepover staycation tournament webinar workshop
""")

# More everyday things, so the background has a realistic spread of rarer words.
THINGS = _w("""
toaster kettle blender vacuum mop broom bucket sponge towel curtain lamp lightbulb candle
mirror rug carpet shelf drawer cabinet closet hanger basket box envelope stamp notebook
pen pencil marker eraser stapler scissors tape glue ruler calculator printer scanner router
modem cable adapter speaker microphone webcam monitor mouse tablet smartwatch earbuds
camera tripod drone projector remote thermostat radiator heater fan humidifier dehumidifier
suitcase duffel passport boarding pass receipt coupon voucher invoice contract lease
mattress duvet quilt hammock tent sleeping bag flashlight lantern compass map binoculars
skateboard scooter helmet surfboard snowboard skis sled kayak canoe paddle fishing rod
guitar piano violin ukulele drumkit trumpet saxophone vinyl turntable cassette radio
puzzle crossword sudoku chessboard deck dice boardgame jigsaw kite frisbee yoyo
umbrella raincoat scarf gloves mittens beanie sunglasses sandals sneakers slippers
necklace bracelet earrings ring watch belt tie blazer suit dress skirt jeans shorts leggings
shampoo conditioner toothbrush toothpaste razor deodorant lotion sunscreen perfume
vitamins bandage thermometer inhaler crutches wheelchair stroller crib highchair diaper
""")

ANIMALS = _w("""
dog cat puppy kitten hamster rabbit parrot goldfish turtle lizard snake ferret guinea pig
horse cow goat sheep pig chicken duck goose swan pigeon crow seagull owl hawk eagle
raccoon possum fox deer moose bear wolf coyote squirrel chipmunk otter beaver frog toad
bee wasp spider mosquito ant butterfly moth ladybug dragonfly snail slug
""")

JOBS = _w("""
nurse teacher barista cashier chef cook waiter bartender driver pilot mechanic electrician
plumber carpenter painter gardener janitor librarian pharmacist dentist doctor surgeon
lawyer accountant banker engineer developer designer photographer journalist editor
writer translator tutor coach trainer therapist counselor firefighter paramedic officer
farmer fisherman baker butcher florist tailor hairdresser manager intern receptionist
""")

HOBBIES = _w("""
knitting crocheting baking gardening hiking climbing cycling swimming surfing skating
skiing snowboarding fishing camping birdwatching painting drawing sketching pottery
woodworking sewing quilting journaling blogging vlogging podcasting gaming streaming
reading writing photography filmmaking dancing singing drumming yoga pilates boxing
running jogging lifting rowing sailing kayaking paddleboarding geocaching stargazing
""")

BODY = _w("""
back neck head knee shoulder ankle wrist elbow foot feet hand eyes ears throat stomach
tooth teeth jaw hip legs arms fingers toes skin hair
""")

INGREDIENTS = _w("""
garlic onion tomato potato carrot celery pepper spinach kale lettuce cucumber zucchini
broccoli cauliflower mushroom corn beans lentils chickpeas tofu tempeh eggs butter milk
yogurt cream flour sugar honey syrup cinnamon vanilla ginger basil cilantro parsley
rosemary thyme oregano paprika cumin turmeric lemon lime orange apple banana strawberry
blueberry raspberry mango pineapple avocado peach pear cherry grape watermelon coconut
salmon tuna shrimp bacon sausage steak beef pork turkey ham chorizo mozzarella parmesan
cheddar feta ricotta olive oil vinegar mustard ketchup mayo salsa hummus pesto soy sauce
""")

PLACES2 = _w("""
supermarket laundromat pharmacy bakery butcher florist salon barbershop garage carwash
gas station parking lot playground skatepark swimming pool ice rink bowling alley arcade
zoo aquarium museum planetarium observatory botanical garden cemetery church temple
mosque synagogue courthouse city hall post office fire station police station hospital
clinic campus dorm lecture hall cafeteria warehouse factory office building coworking
""")

NOUNS_PL = _w("""
people friends kids dogs cats plans vibes emails meetings snacks groceries bills
notifications messages updates tickets shoes clothes plants books songs videos photos
memes games shows movies fries tacos cookies donuts noodles dumplings pancakes waffles
neighbors coworkers teachers students parents fans players refs drivers tourists
hours minutes days weeks months years nights mornings weekends holidays
""")

ADJS = _w("""
good great bad new old long short big small little huge tiny best worst nice cool hot
cold warm weird strange funny sad happy tired busy lazy late early quick slow loud quiet
perfect terrible amazing awesome awful boring interesting wild crazy chill cozy messy clean
fresh stale cheap expensive free easy hard simple fancy basic random real fake honest
beautiful ugly cute sweet salty spicy crispy soft bright dark sunny rainy windy foggy snowy
icy humid dry stormy gloomy peaceful chaotic productive unproductive relaxing stressful
exciting disappointing underrated overrated iconic legendary classic solid decent mid
brutal gorgeous stunning hilarious wholesome cursed chaotic elite cozy rough smooth sketchy
""")

ADJS2 = _w("""
adorable ancient anxious bitter blurry bold brave breezy bumpy calm careful charming
cheerful chilly clumsy cloudy colorful comfy confusing crowded crunchy curious damp
dazzling delicious delightful dizzy dusty eager elegant empty endless enormous fancy
fierce filthy flaky fluffy foggy fragile frantic frosty frozen fuzzy gentle giant giddy
glamorous gloomy glossy greasy greedy grumpy handsome hasty heavy helpful hollow homemade
hopeful horrible humble hungry icy immense itchy jolly juicy jumpy kind lively lonely
lovely lucky magical massive mellow mighty misty modern moody muddy mysterious narrow
nasty neat nervous noisy nostalgic odd orange ordinary pale perfect petite pleasant plain
polite powerful precious pretty prickly proud purple puzzled quaint quirky rare raw ripe
rotten round rusty sandy savory scary shaggy shiny silent silly sleepy slimy slippery
smoky snappy soggy sour sparkly speedy spooky squeaky steady sticky stiff stormy sturdy
sunny super swift tangy tasty tender thick thin thirsty thorough tidy tight tough tricky
unusual upbeat useful vast vibrant vintage warm wavy wealthy weary wet whimsical wicked
wide witty wobbly wonderful wooden worried young zesty
""")

ADVS = _w("""
really so very actually literally honestly totally seriously definitely probably maybe
finally already still just barely almost completely absolutely kinda lowkey highkey
""")

VERBS = _w("""
make take get find watch read play cook eat drink buy sell fix clean wash build start
finish try need want love hate miss forget remember skip cancel order call text visit
leave join meet learn teach write send share post check open close plan book pack move
borrow return recycle repaint rearrange reorganize replace repair upgrade download delete
install restart unplug charge refill recharge water feed walk brush iron fold vacuum
bake grill roast blend chop slice peel stir microwave reheat defrost marinate season
""")

VERBS_PAST = _w("""
made took got found watched read played cooked ate drank bought sold fixed cleaned washed
built started finished tried needed wanted loved hated missed forgot remembered skipped
cancelled ordered called texted visited left joined met learned taught wrote sent shared
posted checked opened closed planned booked packed moved lost won broke dropped burned
borrowed returned recycled repainted rearranged reorganized replaced repaired upgraded
downloaded deleted installed restarted unplugged charged refilled watered fed walked
brushed ironed folded vacuumed baked grilled roasted blended chopped sliced peeled
stirred reheated defrosted marinated spilled misplaced ruined rescued survived nailed
""")

VERBS_ING = _w("""
making taking getting finding watching reading playing cooking eating drinking buying
selling fixing cleaning washing building starting finishing trying waiting working driving
walking running studying sleeping scrolling listening singing dancing laughing crying
packing moving planning binging rewatching learning writing coding debugging painting
borrowing returning recycling repainting rearranging reorganizing replacing repairing
upgrading downloading deleting installing restarting charging watering feeding walking
brushing ironing folding vacuuming baking grilling roasting blending chopping slicing
peeling stirring reheating defrosting marinating procrastinating overthinking daydreaming
""")

PEOPLE = _w("""
mom dad boss roommate neighbor coworker friend sister brother cousin grandma teacher
barista landlord partner boyfriend girlfriend husband wife kid dog cat
""")

TIMES = _l("""
today | tonight | this morning | this afternoon | this evening | right now | again |
yesterday | last night | all day | all week | every single day | on a monday | before work |
after work | at 3am | during lunch | this weekend | on the train | at the airport
""")

FEELINGS = _w("""
tired exhausted happy excited nervous anxious bored hungry sleepy grateful annoyed
confused stressed relaxed motivated hopeful proud sore cold obsessed done
""")

INTERJ = _l("""
lol | lmao | haha | omg | ugh | wow | smh | ngl | tbh | fr | no way | yikes | oof | welp |
yay | hmm | bruh | ok but | honestly | wait
""")

EMOJI = _w("""
😂 😭 🙏 ❤️ 🔥 😍 🥲 😅 👀 💀 🙃 😴 ☕ 🎉 👏 😤 🤔 ✨ 🌧️ ☀️
""")

CITIES = [
    # name, lat, lon, country
    ("New York", 40.7128, -74.0060, "US"), ("Los Angeles", 34.0522, -118.2437, "US"),
    ("Chicago", 41.8781, -87.6298, "US"), ("Houston", 29.7604, -95.3698, "US"),
    ("Seattle", 47.6062, -122.3321, "US"), ("Denver", 39.7392, -104.9903, "US"),
    ("Boston", 42.3601, -71.0589, "US"), ("Atlanta", 33.7490, -84.3880, "US"),
    ("Austin", 30.2672, -97.7431, "US"), ("Miami", 25.7617, -80.1918, "US"),
    ("Portland", 45.5152, -122.6784, "US"), ("Phoenix", 33.4484, -112.0740, "US"),
    ("Toronto", 43.6532, -79.3832, "CA"), ("Vancouver", 49.2827, -123.1207, "CA"),
    ("London", 51.5074, -0.1278, "GB"), ("Manchester", 53.4808, -2.2426, "GB"),
    ("Dublin", 53.3498, -6.2603, "IE"), ("Sydney", -33.8688, 151.2093, "AU"),
    ("Melbourne", -37.8136, 144.9631, "AU"), ("Madrid", 40.4168, -3.7038, "ES"),
    ("Barcelona", 41.3874, 2.1686, "ES"), ("Mexico City", 19.4326, -99.1332, "MX"),
    ("Buenos Aires", -34.6037, -58.3816, "AR"), ("Berlin", 52.5200, 13.4050, "DE"),
    ("Munich", 48.1351, 11.5820, "DE"), ("Paris", 48.8566, 2.3522, "FR"),
    ("Lyon", 45.7640, 4.8357, "FR"), ("Tokyo", 35.6762, 139.6503, "JP"),
    ("Osaka", 34.6937, 135.5023, "JP"), ("São Paulo", -23.5505, -46.6333, "BR"),
    ("Rio de Janeiro", -22.9068, -43.1729, "BR"), ("Lisbon", 38.7223, -9.1393, "PT"),
]
CITY_NAMES = [c[0] for c in CITIES]

VENUES = _l("""
the gym | the office | the grocery store | the airport | the dentist | the coffee shop |
the library | the mall | the park | the beach | the bus stop | my apartment | my parents' place |
the farmers market | the hardware store | the post office | the DMV | the laundromat | work |
the train station | the bakery | the bookstore | the pharmacy | the stadium | the movies
""")

TEAMS = _l("""
Rivertown Rovers | Northgate United | Bay City Hawks | Summit FC | Eastside Wolves |
Harbor Kings | Lakeshore Lions | Capital Comets | Metro Miners | Granite Giants
""")

FOODS = _w("""
pizza tacos sushi ramen pho burritos dumplings pancakes waffles bagels croissants curry
lasagna nachos wings burgers salad soup pasta fries noodles oatmeal brownies cheesecake
""")

SHOWS = _l("""
that new detective show | the baking competition | the dragon series | the space documentary |
the dating show | the cooking show | the true crime podcast | the anime everyone is talking about |
the courtroom drama | the hospital drama | that nature documentary | the heist movie |
the superhero movie | the horror movie | the comedy special | the reality show
""")

TOPICS = _l("""
remote work | the housing market | electric cars | meal prep | running shoes | coffee prices |
the new phone update | public transit | sourdough | houseplants | budgeting apps | standing desks |
sleep schedules | gas prices | rent prices | video game prices | streaming subscriptions |
four day work weeks | password managers | noise cancelling headphones | air fryers
""")

REPLY_EN = _l("""
this is so true | wait what | same here | lol exactly | no way | source? | is this confirmed? |
I needed this today | couldn't agree more | respectfully, no | this made my day | big mood |
hard disagree | ok but why is this so accurate | screaming | not me doing this right now |
tell me more | this is the way | I have questions | thanks for sharing | stay safe out there |
underrated take | facts | lmao stop | can confirm | where is this? | any updates? |
praying for everyone there | hope everyone is ok | do you have a link? | this aged well
""")

QUOTE_EN = _l("""
this right here | everyone needs to read this | interesting thread | not sure about this one |
we need to talk about this | so this is happening | can someone explain this to me |
worth a read | hmm | this is wild | exactly what I said last week | saving this |
important | the replies to this 😭 | context matters here | bookmarking this
""")

ALT_EN = _l("""
A cup of coffee on a wooden table | A dog sleeping on a couch | A plate of pasta with basil |
Sunset over a city skyline | A cat sitting in a cardboard box | A crowded train platform |
A bowl of ramen with an egg | Rain on a window | A hiking trail through a pine forest |
A messy desk with a laptop and notebooks | A birthday cake with candles | A beach at low tide |
A screenshot of a chat conversation | A bookshelf full of paperbacks | Snow covering parked cars |
A stadium full of fans at night | A plate of tacos with lime | A bicycle leaning against a wall
""")

# Templates: {slot} names are keys of _SLOTS (below) or of an event's own slots.
TEMPLATES_EN = _l("""
just {past} the {adj} {noun} {time} {emoji} |
{interj} why does my {person} always {verb} the {noun} {time} |
can't believe the {noun} at {venue} is still {adj} |
anyone else {ving} {time}? |
{num} {nouns} later and I'm still {feeling} |
hot take: {food} is {adv} better than {food} |
currently {ving} and watching {show} {emoji} |
the weather in {city} {time} is {adv} {adj} |
note to self: never {verb} a {noun} before {time} |
{team} {result} {emoji} |
I {adv} {past} my {noun} {time} {interj} |
my {person} just {past} the {noun} and honestly I'm {feeling} |
{interj} {time} was {adv} {adj} |
does anyone know a good {noun} place in {city} open {time}? |
thinking about {topic} {time} |
unpopular opinion: {topic} is {adj} |
finally {past} the {adj2} {noun} {emoji} |
{ving} at {venue} {time}, send {nouns} |
is it just me or is {topic} getting {adj}? |
new {noun} who dis, my {person} is {feeling} |
if you need me I'll be {ving} at {venue} with my {person} |
{show} is {adv} {adj}, no notes |
me: I'll {verb} the {noun} early. also me {time}: {ving} |
shoutout to the {person} who {past} my {noun} {time} |
the {adj} {noun} at {venue} {adv} made my day |
{interj} the {noun} at {venue} broke again. third time this week |
why is {topic} trending {time} |
cooked {food} {time} and it was {adv} {adj} |
reminder to {verb} your {noun} and {verb} your {thing} |
{num} days until the weekend and my {noun} is already {adj2} |
my {body} hurts from {hobby} {time} |
thinking about taking up {hobby} {time}, any {adj2} tips? |
the {animal} outside my window is {adv} {adj2} |
saw a {animal} at {place2} {time} {emoji} |
my {thing} just died and I'm {feeling} |
buying a {adj2} {thing} for my {person} {interj} |
does anyone have a {adj2} recipe with {ingredient} and {ingredient}? |
made {food} with {ingredient} and {ingredient} {time}, {adv} {adj} |
out of {ingredient} again {interj} |
shoutout to every {job} working {time} |
my {person} is a {job} and has the {adj2} stories |
the {place2} near my place has a {adj2} new {thing} |
spent {time} at the {place2} and it was {adj2} |
{interj} the {thing} in the {noun} is {adj2} |
{ving} with my {person} {time}, {adj2} vibes |
forgot my {thing} at {venue} {interj} |
just started {hobby} {time} and I'm already {feeling} |
{adj2} {noun}, {adj2} {thing}, {adj2} day {emoji} |
if your {thing} makes that {adj2} noise {time}, {verb} it |
is it normal for a {animal} to {verb} {ingredient} {time}? |
day {num} of {hobby}: still {feeling}
""")

# Everyday posts are composed: [opener] body [tail]. Composition keeps unrelated posts from
# looking like copies of each other (the engine groups near-duplicates into stories).
OPENERS_EN = _l("""
ngl | ok so | honestly | update: | PSA: | lowkey | not gonna lie, | so | well | fun fact: |
today's mood: | confession: | real talk: | reminder: | quick question: | random thought: |
plot twist: | breaking news (not really): | can we talk about how | friendly reminder that |
day {num}: | unrelated but | hear me out: | just saying, | small win: | tiny rant:
""")

TAILS_EN = _l("""
send help, my {noun} is {adj2} | wish me luck with the {noun} | no regrets about the {food} |
highly recommend the {adj2} {food} at {venue} | would not recommend {ving} {time} | 10/10 {noun} |
worth it for the {noun} | classic {person} move | and that's on {noun} | also my {noun} is {adj2} |
the {adj2} {thing} did not help | {interj} {emoji} | my {person} agrees | my {person} disagrees |
more on this {time} | thread below about the {noun} | details in the replies | can't stop thinking about the {noun} |
currently {ving} | while {ving} at {venue} | anyway {time} was {adj} | anyway back to {ving} |
is this normal for a {job} | am I the only one {ving} {time} | {emoji}{emoji} | good night everyone {emoji} |
good morning from {city} | happy {weekday} | who else is {ving} | tell me I'm not alone |
this is my life now | living the {adj2} dream | not even mad about the {noun} | character development |
peak {noun} energy | {adv} {adj2} | brb {ving} | update {time} | thanks for coming to my ted talk |
the {animal} agrees | rate my {noun} | {num}/10 would {verb} again | that's it, that's the post |
sent from my {thing} | brought to you by {food} and {feeling} vibes | my {body} is not ready |
the {job} at {venue} was {adj2} about it | {person} said it was {adj2} | this is what {hobby} does to you
""")

WEEKDAYS = _w("monday tuesday wednesday thursday friday saturday sunday")

REPLY_TAILS_EN = _l("""
lol | haha | 😂 | 😭 | 🙏 | tbh | honestly | fr | for real | same | omg | ngl | 100% | 👀 | !! | ...
""")

EVENT_TAILS_EN = _l("""
stay safe everyone | praying for everyone there | this is scary | unreal | more soon |
can't believe this | thoughts with everyone in {city} | everyone ok? | please share |
{emoji} | wow | insane | hope everyone is ok | this is crazy | updates in the thread |
my {person} is there right now | we felt it in {city} too | following for updates | unbelievable
""")

# Other languages: a few templates each, with small slot vocabularies.
LANGS: dict[str, tuple[list[str], dict[str, list[str]]]] = {
    "es": (
        _l("""
        hoy {es_v} {es_n} y estoy {es_adj} {emoji} | ¿alguien más {es_v2} {es_n} esta noche? |
        qué {es_adj} está el clima en {es_city} | mañana tengo {es_n} y {es_v} {es_n} |
        me encanta {es_n}, de verdad {emoji} | no puedo creer lo que pasó con {es_n} |
        por fin fin de semana, a {es_inf} {es_n} | el tráfico en {es_city} hoy es {es_adj}
        """),
        {
            "es_v": _w("comí compré perdí terminé encontré vi preparé olvidé"),
            "es_v2": _w("vio escuchó probó quiere odia extraña"),
            "es_n": _l("el café | la pizza | el examen | la serie nueva | el partido | mi teléfono | "
                       "el concierto | la reunión | el trabajo | las tareas | el tren | la playa"),
            "es_adj": _w("cansado feliz aburrido emocionado nervioso raro bonito increíble"),
            "es_inf": _w("ver descansar cocinar limpiar disfrutar"),
            "es_city": _w("Madrid Barcelona Sevilla Valencia Bilbao") + ["Ciudad de México", "Buenos Aires"],
        },
    ),
    "de": (
        _l("""
        heute {de_v} und jetzt bin ich {de_adj} {emoji} | wer hat auch {de_n} gesehen? |
        das Wetter in {de_city} ist wieder {de_adj} | endlich Wochenende, Zeit für {de_n} |
        mein Zug nach {de_city} hat schon wieder Verspätung, {de_adj} {emoji} | ich brauche dringend {de_n}
        """),
        {
            "de_v": _l("Kaffee getrunken | lange gearbeitet | Pizza bestellt | gejoggt | aufgeräumt | gekocht"),
            "de_n": _l("einen Kaffee | das Spiel | die neue Serie | Urlaub | einen Spaziergang | das Konzert"),
            "de_adj": _w("müde glücklich genervt zufrieden gestresst kalt schön"),
            "de_city": _w("Berlin München Hamburg Köln Leipzig Frankfurt"),
        },
    ),
    "fr": (
        _l("""
        aujourd'hui j'ai {fr_v} et je suis {fr_adj} {emoji} | quelqu'un a vu {fr_n} ? |
        il fait {fr_adj2} à {fr_city} ce matin | enfin le week-end, place à {fr_n} |
        encore une grève à {fr_city}, {fr_adj} {emoji} | j'ai besoin de {fr_n} maintenant
        """),
        {
            "fr_v": _l("bu trop de café | raté mon train | cuisiné des crêpes | beaucoup travaillé | couru"),
            "fr_n": _l("un café | le match | la nouvelle série | des vacances | un croissant | le concert"),
            "fr_adj": _w("fatigué content énervé ravi stressé épuisé"),
            "fr_adj2": _w("froid chaud gris beau humide"),
            "fr_city": _w("Paris Lyon Marseille Bordeaux Lille Nantes"),
        },
    ),
    "pt": (
        _l("""
        hoje {pt_v} e estou {pt_adj} {emoji} | alguém mais assistiu {pt_n}? |
        o trânsito em {pt_city} está impossível, {pt_adj} | finalmente sexta-feira, bora {pt_inf} |
        que calor em {pt_city} hoje {emoji} | preciso de {pt_n} urgente
        """),
        {
            "pt_v": _l("tomei muito café | trabalhei demais | perdi o ônibus | fiz bolo | corri cinco quilômetros"),
            "pt_n": _l("o jogo | a série nova | um café | férias | o show | um pastel"),
            "pt_adj": _w("cansado feliz animado entediado nervoso"),
            "pt_inf": _w("descansar sair viajar dançar dormir"),
            "pt_city": _l("São Paulo | Rio | Lisboa | Porto | Belo Horizonte | Recife"),
        },
    ),
    "ja": (
        _l("""
        今日は{ja_n}を{ja_v}。{ja_feel}{emoji} | {ja_city}は今日も{ja_w}ですね |
        やっと週末！{ja_n}と{ja_n}が楽しみ | {ja_city}の電車が遅れていて{ja_feel}{emoji} |
        新しい{ja_n}、めっちゃ良かった | 今から{ja_n}を見ます
        """),
        {
            "ja_n": _w("ラーメン コーヒー 映画 ドラマ 試合 ライブ お寿司 アニメ ゲーム 本"),
            "ja_v": _w("食べました 買いました 見ました 作りました 楽しみました"),
            "ja_feel": _w("疲れた 嬉しい 最高 眠い 楽しかった"),
            "ja_w": _w("雨 晴れ 寒い 暑い 曇り"),
            "ja_city": _w("東京 大阪 京都 札幌 福岡 名古屋"),
        },
    ),
}
LANG_OPENERS = {
    "es": _l("hoy | otra vez | como siempre | bueno | la verdad | oigan | amigos | en serio | ay"),
    "de": _l("heute | schon wieder | also | ehrlich gesagt | Leute | na ja | ach | endlich"),
    "fr": _l("aujourd'hui | encore | bon | franchement | les amis | alors | bref | sérieux"),
    "pt": _l("hoje | de novo | gente | sinceramente | olha | bom | nossa | aff"),
    "ja": _w("今日も また やっぱり ねえ みんな 正直 ついに えっと"),
}
LANG_TAILS = {
    "es": _l("jajaja | la verdad | qué día | ni modo | en fin | 😂 | 🙏 | de verdad | así es la vida | vamos"),
    "de": _l("naja | egal | haha | 🙃 | wie immer | na toll | endlich | gute Nacht | schönes Wochenende"),
    "fr": _l("bref | mdr | 😅 | voilà | c'est la vie | enfin | bonne soirée | trop bien | on verra"),
    "pt": _l("kkkk | enfim | 😂 | que dia | bora | né | socorro | tô cansado | vamos ver"),
    "ja": _w("笑 😂 最高 疲れた よろしく がんばろう おやすみ 楽しみ"),
}
LANG_REPLIES = {
    "es": _l("¡qué fuerte! | ¿en serio? | totalmente de acuerdo | jajaja | cuídense mucho"),
    "de": _l("echt jetzt? | genau so | haha ja | stimmt | passt auf euch auf"),
    "fr": _l("sérieux ? | tellement vrai | mdr | exactement | prenez soin de vous"),
    "pt": _l("sério? | verdade | kkkkk | exatamente | se cuidem"),
    "ja": _w("本当に？ わかる 草 それな 気をつけて"),
}

# --------------------------------------------------------------------------------------
# Breaking-news events: where in the stream they start (fraction of its expected length),
# how fast they rise and fade, how much of the stream they take at their peak.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    at: float  # start, as a fraction of the stream's expected duration
    rise: float  # time to peak, same unit
    fade: float  # e-folding time of the decay after the peak, same unit
    peak: float  # share of all posts at the peak
    hashtags: tuple[str, ...]  # as written in text; stored lowercase
    templates: tuple[str, ...]
    slots: dict[str, list[str]]
    official: tuple[str, ...]  # update templates used by verified news/official accounts
    alt: tuple[str, ...]  # photo alt texts
    geo: tuple[float, float, str, str] | None  # lat, lon, place, country
    other_lang: dict[str, tuple[str, ...]]  # a few posts in other languages


EVENTS: tuple[Event, ...] = (
    Event(
        name="earthquake", at=0.12, rise=0.004, fade=0.05, peak=0.45,
        hashtags=("#earthquake", "#HarlowBay", "#HarlowBayQuake"),
        templates=tuple(_l("""
            whoa that was a big earthquake in {eq_place} {emoji} |
            earthquake!! everything in my {eq_room} is shaking {tag} |
            did anyone else feel that earthquake? {tag} |
            just felt a strong earthquake in {eq_place}, {eq_damage} {tag} |
            USGS says magnitude {eq_mag} near {eq_place} {tag} |
            my whole building was swaying, {eq_damage} {tag} |
            aftershock just now in {eq_place} {emoji} {tag} |
            power is out after the earthquake in {eq_place} {tag} |
            is everyone ok? that earthquake was scary {tag} |
            reports of a magnitude {eq_mag} earthquake, {eq_damage} {tag} |
            still shaking from that quake, {eq_damage} {tag} |
            tsunami warning? someone said there is a tsunami warning for {eq_place} {tag}
        """)),
        slots={
            "eq_place": ["Harlow Bay", "Harlow Bay", "Harlow Bay", "downtown Harlow Bay", "Port Merrin", "the coast"],
            "eq_mag": ["6.1", "6.4", "6.4", "6.4", "6.2", "5.9", "7.0"],
            "eq_room": ["kitchen", "apartment", "office", "classroom", "bedroom"],
            "eq_damage": _l("books fell off the shelves | windows cracked | no damage here thankfully | "
                            "the bridge is closed | car alarms everywhere | a wall collapsed on Main Street | "
                            "people are out in the street | the trains stopped"),
        },
        official=tuple(_l("""
            BREAKING: magnitude {eq_mag} earthquake strikes near {eq_place}, shaking felt across the region {tag} |
            UPDATE: no tsunami threat after the {eq_place} earthquake, officials say {tag} |
            Emergency crews are inspecting bridges and buildings in {eq_place} after the earthquake {tag} |
            Aftershocks expected for days after the {eq_place} earthquake; check on neighbors {tag}
        """)),
        alt=tuple(_l("Cracked wall in an apartment after the earthquake | Books and broken glass on a floor | "
                     "People standing in the street after the earthquake | A collapsed brick facade")),
        geo=(37.81, -122.36, "Harlow Bay", "US"),
        other_lang={"es": ("¡Fuerte terremoto en Harlow Bay! ¿Están todos bien? #earthquake",
                           "Se sintió el sismo muy fuerte, todo se movía #HarlowBay"),
                    "ja": ("ハーロウベイで大きな地震がありました #earthquake",
                           "今の地震すごく揺れた、ハーロウベイが震源らしい",
                           "ハーロウベイの地震で本棚が倒れた。みんな無事？",
                           "地震速報：ハーロウベイ付近でマグニチュード6.4、津波の心配はないとのこと",
                           "ハーロウベイで地震、電車が止まっています #HarlowBay",
                           "地震のあと停電しています。ハーロウベイ周辺の人は気をつけて",
                           "ハーロウベイ地震、余震が続いているので注意してください",
                           "津波警報が出たというのはデマです。ハーロウベイの地震で津波の心配はありません")},
    ),
    Event(
        name="stadium_outage", at=0.33, rise=0.002, fade=0.02, peak=0.35,
        hashtags=("#NorthgateStadium", "#blackout", "#NGUvBCH"),
        templates=tuple(_l("""
            the lights just went out at Northgate Stadium {emoji} {tag} |
            total blackout at the stadium, {so_crowd} {tag} |
            power outage at Northgate Stadium in the middle of the {so_half} {tag} |
            we are sitting in the dark at the game lol {tag} |
            stadium lights out, players walking off the pitch {tag} |
            they say the power outage is {so_cause} {tag} |
            still no power at Northgate Stadium, {so_crowd} {tag} |
            longest delay ever, the match is suspended {emoji} {tag} |
            phones lighting up the whole stadium right now, {so_crowd} {tag} |
            the stadium power is back, {so_crowd} {tag}
        """)),
        slots={
            "so_crowd": _l("the crowd is singing | everyone has their flashlights on | people are leaving | "
                           "fans chanting in the dark | nobody knows what is going on"),
            "so_half": ["second half", "first half", "match", "game"],
            "so_cause": _l("a blown transformer | a substation fire | a cyberattack apparently | "
                           "a generator failure | a storm somewhere | a grid problem"),
        },
        official=tuple(_l("""
            BREAKING: match between Northgate United and Bay City Hawks suspended after stadium power outage {tag} |
            UPDATE: Northgate Stadium officials say the outage was caused by {so_cause}; fans asked to stay seated {tag} |
            The match will resume once power is restored, the league says {tag}
        """)),
        alt=tuple(_l("A dark stadium lit by thousands of phone flashlights | Players standing on a dark pitch")),
        geo=(41.88, -87.63, "Northgate Stadium", "US"),
        other_lang={"es": ("Se fue la luz en el estadio en pleno partido #blackout",)},
    ),
    Event(
        name="product_launch", at=0.52, rise=0.01, fade=0.08, peak=0.25,
        hashtags=("#NovaX", "#LumenLaunch", "#Lumen"),
        templates=tuple(_l("""
            the Lumen Nova X looks {pl_opinion} {tag} |
            Lumen just announced the Nova X: {pl_feature} {tag} |
            {pl_price} for the Nova X?? {emoji} {tag} |
            watching the Lumen launch event, {pl_feature} {tag} |
            pre-ordered the Nova X, {pl_opinion} {tag} |
            the Nova X battery life is {pl_opinion} {tag} |
            not upgrading, my old phone is fine. Nova X is {pl_opinion} {tag} |
            hands on with the Nova X: {pl_feature}, {pl_opinion} {tag} |
            Lumen store website is down because of the Nova X launch lol {tag}
        """)),
        slots={
            "pl_opinion": _l("amazing | overpriced | kind of boring | a huge upgrade | basically last year's phone | "
                             "actually impressive | not worth it | beautiful"),
            "pl_feature": _l("foldable screen | three day battery | satellite messaging | a 200MP camera | "
                             "no charging port | titanium frame | on-device AI assistant"),
            "pl_price": ["$1299", "$999", "$1499", "$1,299"],
        },
        official=tuple(_l("""
            Lumen unveils the Nova X with {pl_feature}, priced at {pl_price} {tag} |
            Nova X pre-orders open today; shipping starts next month, Lumen says {tag}
        """)),
        alt=tuple(_l("A phone on a stage under a spotlight | A slide showing the Nova X price")),
        geo=None,
        other_lang={"de": ("Das neue Lumen Nova X ist ganz schön teuer #NovaX",),
                    "ja": ("新しいNova X、欲しい！ #NovaX",),
                    "pt": ("o Nova X chegou, mas o preço... #NovaX",)},
    ),
    Event(
        name="wildfire", at=0.70, rise=0.02, fade=0.10, peak=0.30,
        hashtags=("#CedarRidgeFire", "#wildfire", "#evacuation"),
        templates=tuple(_l("""
            smoke from the Cedar Ridge fire is everywhere in {wf_town} {tag} |
            evacuation order for {wf_town} because of the wildfire {tag} |
            the Cedar Ridge fire has grown to {wf_acres} acres {tag} |
            sky is orange over {wf_town}, the wildfire is getting closer {emoji} {tag} |
            air quality is terrible from the wildfire smoke, {wf_advice} {tag} |
            firefighters are working on the Cedar Ridge fire near {wf_town} {tag} |
            heard the fire is {wf_contain} percent contained {tag} |
            packing the car, wildfire evacuation warning for {wf_town} {tag} |
            {wf_advice}, the wildfire smoke is bad today {tag}
        """)),
        slots={
            "wf_town": ["Cedar Ridge", "Cedar Ridge", "Pine Hollow", "Alder Creek", "Millbrook"],
            "wf_acres": ["2,000", "5,400", "12,000", "18,500", "30,000"],
            "wf_contain": ["0", "5", "10", "25", "40"],
            "wf_advice": _l("stay inside | wear an N95 mask | keep windows closed | check on your pets | "
                            "have a go bag ready"),
        },
        official=tuple(_l("""
            Evacuation orders expanded for {wf_town} as the Cedar Ridge fire grows to {wf_acres} acres {tag} |
            Cedar Ridge fire is {wf_contain} percent contained, fire officials say {tag} |
            Shelters are open for residents evacuated from {wf_town} {tag}
        """)),
        alt=tuple(_l("Orange sky over a street full of smoke | Flames on a hillside at night | "
                     "Cars leaving town on a smoky highway")),
        geo=(38.58, -121.49, "Cedar Ridge", "US"),
        other_lang={"es": ("Incendio forestal cerca de Cedar Ridge, evacuaciones #wildfire",)},
    ),
    Event(
        name="river_flood", at=0.86, rise=0.03, fade=0.06, peak=0.20,
        hashtags=("#AshfordFlood", "#flood", "#FloodWarning"),
        templates=tuple(_l("""
            the river is over the bridge in {fl_town} {emoji} {tag} |
            flood warning for {fl_town}, the water is still rising {tag} |
            our street is flooded, {fl_scene} {tag} |
            roads closed all over {fl_town} because of the flooding {tag} |
            the Ashford river crested at {fl_level} feet {tag} |
            sandbagging with the neighbors, {fl_scene} {tag}
        """)),
        slots={
            "fl_town": ["Ashford", "Ashford", "Riverside", "Ashford Mills"],
            "fl_scene": _l("cars floating | water up to the door | the park is a lake | kayaks on Main Street | "
                           "basement completely underwater"),
            "fl_level": ["18", "21", "23.5", "25"],
        },
        official=tuple(_l("""
            Flood warning in effect for {fl_town}; the Ashford river is expected to crest at {fl_level} feet {tag} |
            Residents of low-lying areas of {fl_town} urged to move to higher ground {tag}
        """)),
        alt=tuple(_l("A flooded street with cars in water | A river over its banks near a bridge")),
        geo=(42.10, -72.59, "Ashford", "US"),
        other_lang={},
    ),
)

# Copy-paste campaigns: one text, posted by many (mostly bot-like) accounts, with a word
# or the URL varied (the first alternative is the usual one). Active over [at, until).
CAMPAIGNS: tuple[tuple[float, float, float, str, dict[str, list[str]]], ...] = (
    (0.13, 0.45, 0.015,
     "The Harlow Bay earthquake was caused by {cp_cause}. Nobody is talking about this. Wake up! #HarlowBayQuake {url}",
     {"cp_cause": ["fracking"] * 4 + ["a secret weapons test", "the new 6G towers", "an underground experiment"]}),
    (0.53, 0.80, 0.012,
     "My cousin works at Lumen and says the Nova X {cp_defect} in the cold. They are hiding it. "
     "Share before they delete this! {url}",
     {"cp_defect": ["explodes"] * 4 + ["overheats", "bricks itself", "catches fire"]}),
    (0.0, 1.0, 0.008,
     "FREE {cp_prize} giveaway! Follow and retweet to win, winners announced {cp_when} {url}",
     {"cp_prize": ["iPhone"] * 3 + ["PS5", "$500 gift card", "Nova X", "MacBook"], "cp_when": ["tonight"] * 3 + ["Friday"]}),
    (0.71, 1.0, 0.010,
     "The Cedar Ridge fire was started on purpose to {cp_motive}. Do your own research. #CedarRidgeFire {url}",
     {"cp_motive": ["clear land for developers"] * 3 + ["cover up a lab leak", "collect insurance money"]}),
)
_CP_DOMAINS = ["bit.ly", "tinyurl.com", "t.ly", "is.gd", "truthnow.example", "freeprizes.example"]

# --------------------------------------------------------------------------------------
# Authors
# --------------------------------------------------------------------------------------

_FIRST = _w("""
maria james emma liam olivia noah ava sophia lucas mia ethan isabella mason amelia logan
harper elijah evelyn oliver abigail jack emily aiden ella daniel chloe matthew grace henry
zoe sam alex jordan taylor casey riley jamie morgan drew sofia diego lucia mateo carmen
jonas lena felix hannah leon chloe hugo lea louis camille yuki haruto sakura ren joao ana
pedro beatriz priya arjun wei mei omar layla kofi amara nina tom kate ben lily max ruby
""")
_LAST = _w("""
smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez
wilson anderson thomas taylor moore jackson martin lee perez thompson white harris clark
lewis robinson walker young allen king wright scott green baker adams nelson hill campbell
mueller schmidt dubois moreau tanaka suzuki sato silva santos costa patel khan nguyen kim
""")
_HANDLE_WORDS = _w("""
coffee pixel river moon sunny chaos lazy city night early late daily real just the its
official vibes tea book runner coder gamer chef dog cat plant wander dream music film
""")
_NEWS = [
    ("harlowbaynews", "Harlow Bay News"), ("breakingwire", "Breaking Wire"), ("citydesk", "City Desk"),
    ("metro_daily", "Metro Daily"), ("usgs_quakes", "USGS Earthquakes"), ("nws_alerts", "NWS Alerts"),
    ("cedarridge_fd", "Cedar Ridge Fire Dept"), ("northgate_fc", "Northgate United"),
    ("lumen", "Lumen"), ("techcrunchy", "TechCrunchy"), ("ashford_city", "City of Ashford"),
    ("worldnow", "World Now"),
]
_BOT_WORDS = _w("patriot eagle truth freedom news deals crypto wake real alpha based")


@dataclass(slots=True)
class _Author:
    author: Author
    handle: str  # as written in text, case kept
    lang: str
    kind: int  # 0 person, 1 news/official, 2 bot-like
    link: str = ""  # permalink prefix of this author's posts

    def __post_init__(self) -> None:
        self.link = f"https://demo.veristream.example/@{self.handle}/"


def _make_authors(rng: random.Random, n: int = 2000) -> list[_Author]:
    out: list[_Author] = []
    seen: set[str] = set()

    def unique(h: str) -> str:
        base, k = h, 2
        while h.lower() in seen:
            h = f"{base}{k}"
            k += 1
        seen.add(h.lower())
        return h

    made = datetime(2009, 3, 1, tzinfo=timezone.utc)
    for handle, name in _NEWS:
        h = unique(handle)
        followers = int(rng.lognormvariate(12.5, 1.0))
        out.append(_Author(Author(str(1000 + len(out)), h, name, True, followers,
                                  made + timedelta(days=rng.randrange(3000))), h, "en", 1))
    n_bots = n // 12
    langs = ["en"] * 80 + ["es"] * 7 + ["pt"] * 4 + ["de"] * 3 + ["fr"] * 3 + ["ja"] * 3
    while len(out) < n:
        i = len(out)
        if i >= n - n_bots:
            h = unique(f"{rng.choice(_BOT_WORDS)}_{rng.choice(_BOT_WORDS)}{rng.randrange(1000, 99999)}")
            out.append(_Author(Author(str(10_000_000 + i * 7919), h, h.replace("_", " ").title(), False,
                                      rng.randrange(0, 60), made + timedelta(days=5000 + rng.randrange(500))),
                               h, "en", 2))
            continue
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        style = rng.random()
        if style < 0.35:
            h = f"{first}{last}"
        elif style < 0.55:
            h = f"{first}_{last[:rng.randrange(1, len(last) + 1)]}"
        elif style < 0.8:
            h = f"{first}{rng.randrange(1, 999)}"
        else:
            h = f"{rng.choice(_HANDLE_WORDS)}{first}"
        if rng.random() < 0.3:
            h = h.capitalize()
        h = unique(h)
        lang = "en" if i < 60 else rng.choice(langs)
        verified = rng.random() < 0.02
        followers = int(rng.lognormvariate(5.0 + (3 if verified else 0), 1.6))
        out.append(_Author(Author(str(10_000_000 + i * 7919), h, f"{first.title()} {last.title()}", verified,
                                  followers, made + timedelta(days=rng.randrange(6000))), h, lang, 0))
    return out


# --------------------------------------------------------------------------------------
# Template compilation
# --------------------------------------------------------------------------------------

_SLOTS: dict[str, list[str]] = {
    "noun": NOUNS, "nouns": NOUNS_PL, "adj": ADJS, "adv": ADVS, "verb": VERBS, "past": VERBS_PAST,
    "ving": VERBS_ING, "person": PEOPLE, "time": TIMES, "feeling": FEELINGS, "interj": INTERJ,
    "emoji": EMOJI + [""] * 12, "city": CITY_NAMES, "venue": VENUES, "team": TEAMS, "food": FOODS,
    "show": SHOWS, "topic": TOPICS, "thing": THINGS, "animal": ANIMALS, "job": JOBS, "hobby": HOBBIES,
    "body": BODY, "ingredient": INGREDIENTS, "place2": PLACES2, "adj2": ADJS2,
    "result": _l("won again | lost in overtime | what a comeback | need a new coach | are so back | "
                 "blew a 2 goal lead | clinched the playoffs | tied at halftime"),
    "num": ["2", "3", "4", "5", "10", "12", "20", "45", "100"],
    "weekday": WEEKDAYS,
}

# A compiled template: a %-format string and, per %s, a pool to draw from uniformly.
Template = tuple[str, tuple[list[str], ...]]
_URL = "\x00url"  # slot name for a campaign's varied URL (filled by the caller)
Filler = Callable[[Callable[[], float]], str]


def _pool(words: list[str]) -> list[str]:
    """Words repeated ~ 1/(rank+2): a uniform draw from the pool is Zipf-like over `words`.
    Short lists (alternatives such as magnitudes or hashtags) stay uniform."""
    if len(words) <= 8:
        return list(words)
    n = len(words)
    out: list[str] = []
    for k, w in enumerate(words):
        out.extend([w] * max(1, round((n + 2) / (k + 2) / 2)))
    return out


def _compile(template: str, slots: dict[str, list[str]], pools: dict[tuple[str, ...], list[str]]) -> Template:
    fmt: list[str] = []
    args: list[list[str]] = []
    rest = template
    while True:
        i = rest.find("{")
        if i < 0:
            break
        j = rest.index("}", i)
        fmt.append(rest[:i].replace("%", "%%"))
        fmt.append("%s")
        name = rest[i + 1 : j]
        words = slots[name] if name != "url" else [_URL]
        key = tuple(words)
        pool = pools.get(key)
        if pool is None:
            pool = pools[key] = _pool(words)
        args.append(pool)
        rest = rest[j + 1 :]
    fmt.append(rest.replace("%", "%%"))
    return "".join(fmt), tuple(args)


def _filler(t: Template) -> Filler:
    """A function `rnd -> text` for one template, with its pools and their sizes bound as
    constants: one `%` and one `random()` per slot, no per-post loop or list (hot path)."""
    fmt, pools = t
    if not pools:
        return lambda rnd: fmt
    env = {f"p{k}": p for k, p in enumerate(pools)}
    picks = ", ".join(f"p{k}[int({len(p)} * rnd())]" for k, p in enumerate(pools))
    return eval(f"lambda rnd: {fmt!r} % ({picks},)", env)  # noqa: S307 - our own constant code


def _vocabulary() -> list[str]:
    """Every distinct lowercase word the English background can produce (for query mixes)."""
    words: set[str] = set()
    for lst in _SLOTS.values():
        for s in lst:
            words.update(w.lower() for w in s.split())
    for t in TEMPLATES_EN:
        words.update(w.lower() for w in t.split() if "{" not in w)
    return sorted(w for w in words if w.isalpha())


# --------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------

# A recent original post, as a reply/quote/retweet target:
# (id, handle, text, lang, hashtags, mentions, urls)
_Recent = tuple[str, str, str, str, list[str], list[str], list[str]]
_RING = 512


@dataclass(slots=True)
class _CompiledEvent:
    event: Event
    templates: list[Filler]
    official: list[Filler]
    other: dict[str, tuple[str, ...]]
    hashtags: dict[str, list[str]]  # text -> hashtags it contains (memo)
    start_s: float
    rise_s: float
    fade_s: float


@dataclass(slots=True)
class _CompiledCampaign:
    start_s: float
    until_s: float
    share: float
    template: Template
    hashtags: list[str]


def _tags_in(text: str) -> list[str]:
    return list(dict.fromkeys(w[1:].lower() for w in text.split() if len(w) > 1 and w[0] == "#"))


def generate(n: int, *, seed: int = 7, start: datetime | None = None, rate_per_s: float = 50.0) -> Iterator[Post]:
    """`n` posts, deterministic for a given (n, seed, start, rate_per_s).

    Events and campaigns are placed at fractions of the stream's expected duration
    (`n / rate_per_s`), so every stream, short or long, contains all of them.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if rate_per_s <= 0:
        raise ValueError("rate_per_s must be > 0")
    start = start or DEFAULT_START
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    start = start.astimezone(timezone.utc)
    rng = random.Random(seed)
    rnd = rng.random
    log = math.log

    authors = _make_authors(random.Random(seed * 1_000_003 + 1))
    people = [a for a in authors if a.kind == 0]
    news = [a for a in authors if a.kind == 1]
    bots = [a for a in authors if a.kind == 2]
    # Zipf-Mandelbrot activity over the people (in creation order: the first are English):
    # a table of authors drawn uniformly gives P(rank k) ~ 1/(k+10)^1.1.
    weights = [1.0 / (k + 10) ** 1.1 for k in range(len(people))]
    scale = 65_536 / sum(weights)
    zipf: list[_Author] = []
    for a, w in zip(people, weights):
        zipf.extend([a] * max(1, round(w * scale)))
    nz = len(zipf)
    campaign_authors = bots + people[-300:]  # bots plus low-activity accounts
    by_lang: dict[str, list[_Author]] = {}
    for a in zipf:
        by_lang.setdefault(a.lang, []).append(a)

    pools: dict[tuple[str, ...], list[str]] = {}  # one pool per distinct word list
    en_templates = [_filler(_compile(t, _SLOTS, pools)) for t in TEMPLATES_EN]
    openers = [_filler(_compile(t, _SLOTS, pools)) for t in OPENERS_EN]
    tails = [_filler(_compile(t, _SLOTS, pools)) for t in TAILS_EN]
    event_tails = [_filler(_compile(t, _SLOTS, pools)) for t in EVENT_TAILS_EN]
    n_open, n_tail, n_etail, n_rtail = len(openers), len(tails), len(event_tails), len(REPLY_TAILS_EN)
    lang_templates = {lg: [_filler(_compile(t, {**_SLOTS, **sl}, pools)) for t in ts] for lg, (ts, sl) in LANGS.items()}

    duration_s = n / rate_per_s
    events: list[_CompiledEvent] = []
    for ev in EVENTS:
        tag_slot = [""] + [" ".join(ev.hashtags[: k + 1]) for k in range(len(ev.hashtags))] + list(ev.hashtags) * 2
        slots = {**_SLOTS, **ev.slots, "tag": tag_slot}
        events.append(_CompiledEvent(
            ev, [_filler(_compile(t, slots, pools)) for t in ev.templates],
            [_filler(_compile(t, slots, pools)) for t in ev.official],
            dict(ev.other_lang), {}, ev.at * duration_s, max(ev.rise * duration_s, 1e-9),
            max(ev.fade * duration_s, 1e-9)))
    campaigns = [
        _CompiledCampaign(at * duration_s, until * duration_s, share, _compile(text, {**sl, "url": []}, pools),
                          _tags_in(text))
        for at, until, share, text, sl in CAMPAIGNS
    ]

    recent: list[_Recent] = []  # recent everyday originals (reply/quote/retweet targets)
    hot: list[_Recent] = []  # recent event and news posts: replied to and retweeted more
    ev_probs = [0.0] * len(events)
    cp_probs = [0.0] * len(campaigns)
    ev_total = cp_total = 0.0
    id_base_ms = to_ms(start) - _SNOWFLAKE_EPOCH_MS
    worker = (seed & 0x3FF) << 12
    last_id = 0
    t_us = 0
    neg_us_per_rate = -1_000_000 / rate_per_s
    no_metrics = Metrics
    media_base = "https://img.demo.veristream.example/"
    link_base = "https://demo.veristream.example/"
    n_en, n_reply, n_quote, n_alt = len(en_templates), len(REPLY_EN), len(QUOTE_EN), len(ALT_EN)
    n_news, n_camp_authors = len(news), len(campaign_authors)
    topic_tags = [t.replace(" ", "").lower() for t in TOPICS]
    ring, ring_hot = _RING, _RING // 4

    for i in range(n):
        t_us += int(log(1.0 - rnd()) * neg_us_per_rate)  # Poisson arrivals
        if i & 31 == 0:  # intensities change slowly: refresh them every 32 posts
            t_s = t_us / 1_000_000
            ev_total = 0.0
            for j, ce in enumerate(events):
                if t_s < ce.start_s:
                    p = 0.0
                elif t_s < ce.start_s + ce.rise_s:
                    p = ce.event.peak * (t_s - ce.start_s) / ce.rise_s
                else:
                    p = ce.event.peak * math.exp(-(t_s - ce.start_s - ce.rise_s) / ce.fade_s)
                    p = p if p > 0.002 else 0.002  # a long tail of follow-up talk
                ev_probs[j] = p
                ev_total += p
            cp_total = 0.0
            for j, cc in enumerate(campaigns):
                cp_probs[j] = cc.share if cc.start_s <= t_s < cc.until_s else 0.0
                cp_total += cp_probs[j]

        pid_int = ((id_base_ms + t_us // 1000) << 22) | worker
        if pid_int <= last_id:
            pid_int = last_id + 1
        last_id = pid_int
        pid = str(pid_int)

        hashtags: list[str] = []
        mentions: list[str] = []
        urls: list[str] = []
        media: list[Media] = []
        geo: Geo | None = None
        reply_to = quote_of = repost_of = None
        hot_post = False
        a = zipf[int(nz * rnd())]
        lang = a.lang

        r = rnd()
        if r < 0.17 and recent:
            # Interactions with earlier posts: retweets, replies, quotes.
            src = hot if hot and rnd() < 0.55 else recent
            oid, ohandle, otext, olang, otags, omentions, ourls = src[int(len(src) * rnd())]
            lang = olang
            if r < 0.05:
                text = f"RT @{ohandle}: {otext}"
                repost_of = oid
                hashtags, urls = otags, ourls
                oh = ohandle.lower()
                mentions = [oh, *[m for m in omentions if m != oh]]
            else:
                if lang != "en" and lang in LANG_REPLIES:
                    cands = by_lang.get(lang)
                    if cands:
                        a = cands[int(len(cands) * rnd())]
                    phrases = LANG_REPLIES[lang]
                    phrase = phrases[int(len(phrases) * rnd())]
                elif r < 0.14:
                    phrase = REPLY_EN[int(n_reply * rnd())]
                else:
                    phrase = QUOTE_EN[int(n_quote * rnd())]
                x = rnd()
                if x < 0.85:  # more words: another phrase, an interjection or a remark of one's own
                    if lang != "en":
                        ts = LANG_TAILS[lang]
                        second = ts[int(len(ts) * rnd())]
                    elif x < 0.2:
                        second = REPLY_EN[int(n_reply * rnd())]
                    elif x < 0.4:
                        second = REPLY_TAILS_EN[int(n_rtail * rnd())]
                    else:
                        second = tails[int(n_tail * rnd())](rnd)
                    phrase = f"{phrase} {second}"
                if r < 0.14:
                    text = f"@{ohandle} {phrase}"
                    mentions = [ohandle.lower()]
                    reply_to = oid
                else:
                    text = phrase
                    if otags and rnd() < 0.4:
                        text = f"{phrase} #{otags[0]}"
                        hashtags = [otags[0]]
                    quote_of = oid
        else:
            r2 = rnd()
            if r2 < cp_total:
                # A copy-paste campaign: the same text, a word or the URL varied.
                j = 0
                while r2 >= cp_probs[j]:
                    r2 -= cp_probs[j]
                    j += 1
                cc = campaigns[j]
                a = campaign_authors[int(n_camp_authors * rnd())]
                lang = "en"
                if rnd() < 0.5:  # a per-post shortened link
                    url = f"https://{_CP_DOMAINS[j % len(_CP_DOMAINS)]}/{(pid_int >> 12) % 0xFFFFF:x}"
                else:  # one of a few shared links
                    url = f"https://{_CP_DOMAINS[(j + 3) % len(_CP_DOMAINS)]}/c{j}x{int(rnd() * 4)}"
                fmt, args = cc.template
                text = fmt % tuple([url if p[0] is _URL else p[int(len(p) * rnd())] for p in args])
                urls = [url]
                hashtags = cc.hashtags
            elif r2 < cp_total + ev_total:
                # Breaking news.
                x = r2 - cp_total
                j = 0
                while j < len(ev_probs) - 1 and x >= ev_probs[j]:
                    x -= ev_probs[j]
                    j += 1
                ce = events[j]
                ev = ce.event
                hot_post = True
                if rnd() < 0.06:  # an update from a news or official account
                    a = news[int(n_news * rnd())]
                    lang = "en"
                    text = ce.official[int(len(ce.official) * rnd())](rnd)
                    if rnd() < 0.5:
                        url = f"{link_base}news/{ev.name}/{pid[-6:]}"
                        text = f"{text} {url}"
                        urls = [url]
                elif lang != "en" and lang in ce.other and rnd() < 0.7:
                    texts = ce.other[lang]
                    text = texts[int(len(texts) * rnd())]
                else:  # most event talk is in English, whoever writes it
                    lang = "en"
                    text = ce.templates[int(len(ce.templates) * rnd())](rnd).rstrip()
                    if rnd() < 0.5:
                        text = f"{text} {event_tails[int(n_etail * rnd())](rnd)}"
                if "#" in text:
                    hashtags = _tags_in(text)
                if ev.geo is not None and rnd() < 0.15:
                    lat, lon, place, country = ev.geo
                    geo = Geo(round(lat + (rnd() - 0.5) * 0.2, 4), round(lon + (rnd() - 0.5) * 0.2, 4), place, country)
                if rnd() < 0.2:
                    media = [Media("photo", f"{media_base}{pid}.jpg", ev.alt[int(len(ev.alt) * rnd())])]
            else:
                # Everyday chatter.
                if lang == "en":
                    text = en_templates[int(n_en * rnd())](rnd).rstrip()
                    if rnd() < 0.35:
                        text = f"{openers[int(n_open * rnd())](rnd)} {text}"
                    if rnd() < 0.8:
                        text = f"{text} {tails[int(n_tail * rnd())](rnd)}"
                else:
                    fillers = lang_templates[lang]
                    text = fillers[int(len(fillers) * rnd())](rnd).rstrip()
                    if rnd() < 0.5:
                        ops = LANG_OPENERS[lang]
                        text = f"{ops[int(len(ops) * rnd())]} {text}"
                    if rnd() < 0.75:
                        ts = LANG_TAILS[lang]
                        text = f"{text} {ts[int(len(ts) * rnd())]}"
                x = rnd()
                if x < 0.03:
                    k = int(len(topic_tags) * rnd())
                    text = f"{text} #{topic_tags[k]}"
                    hashtags = [topic_tags[k]]
                elif x < 0.10:
                    media = [Media("photo", f"{media_base}{pid}.jpg", ALT_EN[int(n_alt * rnd())])]
                elif x < 0.14:
                    c = CITIES[int(len(CITIES) * rnd())]
                    geo = Geo(round(c[1] + (rnd() - 0.5) * 0.1, 4), round(c[2] + (rnd() - 0.5) * 0.1, 4), c[0], c[3])
            if text[-1] == " ":
                text = text.rstrip()

        yield Post(pid, "demo", a.author, text, start + timedelta(microseconds=t_us), lang, reply_to, quote_of,
                   repost_of, urls, hashtags, mentions, media, geo, no_metrics(), a.link + pid)

        # Remember originals as targets for later interactions (a sample is enough).
        if repost_of is None and (hot_post or i & 3 == 0):
            rec = (pid, a.handle, text, lang, hashtags, mentions, urls)
            if hot_post or a.kind == 1:
                if len(hot) < ring_hot:
                    hot.append(rec)
                else:
                    hot[int(ring_hot * rnd())] = rec
            elif len(recent) < ring:
                recent.append(rec)
            else:
                recent[int(ring * rnd())] = rec


def to_ms(dt: datetime) -> int:
    return to_us(dt) // 1000


def line_of(post: Post) -> bytes:
    """`orjson.dumps(post.to_dict(raw=False))`, without the cost of `dataclasses.asdict`.

    orjson serialises the dataclass directly; with OPT_UTC_Z its datetimes match `iso()`.
    `raw`, `cards` and `image_text` are the last fields of `Post`: dropping them is a suffix cut.
    """
    if post.raw is not None or post.cards or post.image_text:
        return orjson.dumps(post.to_dict(raw=False))
    b = orjson.dumps(post, option=orjson.OPT_UTC_Z)
    # The fields after `extra` are written only when present (see Post.to_dict).
    if not b.endswith(_EMPTY_TAIL):  # Post's fields changed: the slow way stays right
        return orjson.dumps(post.to_dict(raw=False))
    return b[:-len(_EMPTY_TAIL)] + b"}"


_EMPTY_TAIL = b',"raw":null,"cards":[],"image_text":null}'


def demo_lines(n: int = 3000, seed: int = 7, rate_per_s: float = 50.0) -> Iterator[bytes]:
    """The same posts as `generate(n, seed=seed, rate_per_s=rate_per_s)`, as JSONL lines in
    the project's schema (no trailing newline)."""
    for p in generate(n, seed=seed, rate_per_s=rate_per_s):
        yield line_of(p)
