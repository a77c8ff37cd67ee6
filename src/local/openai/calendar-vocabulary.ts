// What the scripted LLM twin knows about each month, for the calendar prompt of Pipecat's
// sync-speech-and-image example: scenes (each with where it is), the light, the weather and the
// colours of a nature photograph (northern-hemisphere seasons). Every phrase is lower-case and free of
// sentence-ending punctuation, so any combination stays one sentence.

import { MONTH_NAMES, type MonthName } from "../../utils/months.js";

export interface MonthVocabulary {
  /** The subject and where it is, with its article: "a frozen waterfall in a silent valley". */
  scenes: readonly string[];
  /** The light: "in the low golden light of a winter afternoon". */
  light: readonly string[];
  /** The weather, as a clause that follows a comma: "as fine powder snow drifts through the air". */
  weather: readonly string[];
  /** Colours and mood of the whole picture, following a comma: "rendered in crisp whites and icy blues". */
  details: readonly string[];
}

export const MONTHS = MONTH_NAMES;

export type { MonthName };

export const CALENDAR_VOCABULARY: Readonly<Record<MonthName, MonthVocabulary>> = {
  January: {
    scenes: [
      "a frozen waterfall in a silent valley",
      "a lone red fox crossing a frozen meadow",
      "a snow-covered pine forest on a wind-swept ridge",
      "a small herd of red deer beneath snow-laden spruce trees",
      "an ice-bound mountain lake ringed by white peaks",
      "a snowy owl perched on a weathered fence post",
    ],
    light: [
      "in the low golden light of a winter afternoon",
      "under a pale blue January sky",
      "at the first blush of a cold sunrise",
      "in the blue hour after sunset",
    ],
    weather: [
      "as fine powder snow drifts through the air",
      "with hoarfrost clinging to every branch",
      "after a night of heavy snowfall",
      "while a crisp north wind sweeps the drifts",
    ],
    details: [
      "rendered in crisp whites, silvers and icy blues",
      "with long violet shadows across the untouched snow",
      "in a hushed palette of frost white and slate grey",
      "with every detail sharp in the clear cold air",
    ],
  },
  February: {
    scenes: [
      "a cluster of white snowdrops pushing through the last patches of snow",
      "a robin perched on a frosted hawthorn branch",
      "a misty birch wood at the edge of a sleeping moor",
      "a frozen marsh crossed by fresh deer tracks",
      "a grey heron standing in the icy shallows of a still pond",
      "a thawing mountain brook tumbling over mossy stones",
    ],
    light: [
      "in soft silvery morning light",
      "under a lilac dawn sky",
      "in the thin sunshine of late winter",
      "as the last light fades behind the hills",
    ],
    weather: [
      "with a light frost melting into dewdrops",
      "as freezing fog lifts from the ground",
      "under a sky heavy with the promise of sleet",
      "while a cold breeze ripples the reeds",
    ],
    details: [
      "in delicate shades of white, grey and moss green",
      "with the first green shoots showing through the frost",
      "its colours muted to pewter and pale rose",
      "with every twig outlined in glittering rime",
    ],
  },
  March: {
    scenes: [
      "a carpet of yellow daffodils on a sloping meadow",
      "a pair of brown hares in an old stone-walled field",
      "a blackthorn hedge in white blossom along a country lane",
      "a rushing river swollen with snowmelt beneath budding willows",
      "newborn lambs resting on a green hillside",
      "purple crocuses opening in the grass of a woodland edge",
    ],
    light: [
      "in bright spring sunshine",
      "under fast-moving white clouds",
      "in the fresh light of an early spring morning",
      "as sunbeams break through a passing shower",
    ],
    weather: [
      "while a blustery wind tosses the branches",
      "with raindrops still sparkling on every petal",
      "after a sudden cold shower",
      "as the last frost of the season burns away",
    ],
    details: [
      "bursting with lemon yellow, fresh green and soft violet",
      "with pale green buds on every branch",
      "set against a rinsed blue sky",
      "in the clean bright colours of a new season",
    ],
  },
  April: {
    scenes: [
      "a cherry orchard in full pink blossom in a sheltered valley",
      "a bluebell wood beneath a canopy of new beech leaves",
      "a meandering stream lined with marsh marigolds",
      "a family of ducklings on the banks of a quiet pond",
      "a rainbow arching over rolling green farmland",
      "a magnolia tree heavy with flowers beside a mossy footbridge",
    ],
    light: [
      "in soft diffused morning light",
      "under a sky of scattered silver clouds",
      "in the warm glow of a spring evening",
      "as sunlight slants through the fresh leaves",
    ],
    weather: [
      "just after a gentle spring shower",
      "with a light breeze scattering petals through the air",
      "while drops of rain still hang from the twigs",
      "as mist rises from the damp earth",
    ],
    details: [
      "washed in blush pink, sky blue and tender green",
      "with fallen petals drifting on the water",
      "glowing with the fresh colours of spring",
      "in a soft, dreamy palette of pastels",
    ],
  },
  May: {
    scenes: [
      "a wildflower meadow full of poppies and cornflowers",
      "a hawthorn hedge in creamy bloom along a winding lane",
      "an alpine pasture dotted with grazing cows at the foot of snowy peaks",
      "a swallow skimming low over a clear lake",
      "a woodland floor covered in flowering wild garlic",
      "a field of golden rapeseed stretching toward distant blue hills",
    ],
    light: [
      "in warm late-afternoon sunshine",
      "under a clear cornflower blue sky",
      "in the gentle light of a May morning",
      "at golden hour with long soft shadows",
    ],
    weather: [
      "while bees drift lazily between the flowers",
      "with a warm breeze rippling through the grass",
      "as puffy white clouds sail overhead",
      "on a calm and sunny day",
    ],
    details: [
      "alive with scarlet, gold and deep blue",
      "with every leaf a fresh and luminous green",
      "in rich early-summer colours",
      "full of light, colour and new growth",
    ],
  },
  June: {
    scenes: [
      "a field of blooming lavender stretching to the horizon",
      "a quiet lake reflecting tall pines in a hidden valley",
      "a rocky coastline covered in sea pinks above a turquoise sea",
      "a roe deer grazing in tall summer grass",
      "a mountain waterfall fringed with ferns",
      "a meadow of white ox-eye daisies at the edge of an ancient forest",
    ],
    light: [
      "in the long golden light of a midsummer evening",
      "at sunrise on the longest day of the year",
      "under brilliant midday sunshine",
      "in the soft pastel glow of a June twilight",
    ],
    weather: [
      "on a still and balmy day",
      "with dragonflies hovering over the water",
      "as a warm breeze carries the scent of flowers",
      "while swifts wheel high overhead",
    ],
    details: [
      "painted in purple, emerald and sunlit gold",
      "in the deep lush greens of early summer",
      "with soft pink and white blooms everywhere",
      "its colours warm and glowing",
    ],
  },
  July: {
    scenes: [
      "a sunflower field in full bloom beside a distant farmhouse",
      "a secluded sandy cove framed by tall white cliffs",
      "a thunderstorm rolling over the open prairie",
      "a red kayak drifting on a glassy alpine lake",
      "a hummingbird hovering at a bright red flower",
      "a golden wheat field beneath a single old oak tree",
    ],
    light: [
      "in blazing summer sunshine",
      "in the warm amber light of a summer sunset",
      "under towering white cumulus clouds",
      "at dusk as the first stars appear",
    ],
    weather: [
      "on a hot and hazy day",
      "with heat shimmering above the ground",
      "as a gentle breeze brings a little relief from the heat",
      "while distant thunder rumbles over the hills",
    ],
    details: [
      "bursting with bright yellow and deep green",
      "in dazzling blues, sandy golds and white",
      "its colours saturated and full of summer warmth",
      "with crisp reflections and deep shadows",
    ],
  },
  August: {
    scenes: [
      "a hillside of blooming purple heather on a windswept moor",
      "a herd of wild horses in a wide river valley",
      "a lighthouse on a rocky headland above crashing waves",
      "a hedge of ripe blackberries along a dusty farm track",
      "a mountain lake beneath jagged grey peaks",
      "a meteor streaking over a remote desert canyon",
    ],
    light: [
      "in the honeyed light of a late-summer evening",
      "under a clear star-filled night sky",
      "in hazy golden afternoon sunshine",
      "at sunrise with mist lying in the hollows",
    ],
    weather: [
      "on a warm and drowsy day",
      "as the last of the summer heat hangs in the air",
      "with a warm wind rippling the long grass",
      "while swallows gather for their journey south",
    ],
    details: [
      "in rich tones of purple, ochre and deep green",
      "its colours softened by a golden summer haze",
      "with deep blue water meeting a pale sky",
      "glowing with the ripe colours of high summer",
    ],
  },
  September: {
    scenes: [
      "an orchard heavy with red apples in a quiet rural valley",
      "a misty river winding through golden farmland",
      "a red deer stag standing in bracken at the edge of a wood",
      "a vineyard at harvest time on rolling hills",
      "a spider web strung with dew on a hedgerow",
      "a field of round hay bales beside an old stone barn",
    ],
    light: [
      "in soft early-autumn sunlight",
      "in the warm copper glow of a September sunset",
      "under a mild pale sky",
      "in the hazy light of a harvest morning",
    ],
    weather: [
      "as morning mist slowly lifts",
      "on a calm and mellow day",
      "with the first leaves beginning to fall",
      "while a cool breeze hints at the season ahead",
    ],
    details: [
      "in shades of amber, russet and fading green",
      "with every dewdrop catching the light",
      "glowing with deep reds and burnished gold",
      "its colours warm, ripe and gently muted",
    ],
  },
  October: {
    scenes: [
      "a forest of maples in blazing autumn colour",
      "a winding path carpeted with fallen leaves beneath towering beeches",
      "a red squirrel gathering acorns on a mossy log",
      "a still mountain lake mirroring orange and gold trees",
      "a cluster of wild mushrooms on the forest floor",
      "a covered wooden bridge over a rushing woodland creek",
    ],
    light: [
      "in warm slanting afternoon light",
      "in the pink glow of an autumn dawn",
      "under a crisp deep blue sky",
      "as the low sun sets the treetops alight",
    ],
    weather: [
      "on a cool and clear autumn day",
      "as leaves spiral down in a gentle breeze",
      "with a light mist drifting between the trunks",
      "after a brief autumn shower",
    ],
    details: [
      "ablaze with scarlet, orange and golden yellow",
      "in rich tones of rust, copper and chestnut",
      "with fiery colours on every side",
      "with velvety greens against the brown leaf litter",
    ],
  },
  November: {
    scenes: [
      "a bare oak tree on a lonely hill",
      "a flock of geese flying in formation over a fog-filled valley",
      "a misty moorland strewn with grey boulders",
      "a quiet river lined with leafless willows",
      "a frosted field of golden grasses on a broad open fen",
      "a murmuration of starlings above a reed bed",
    ],
    light: [
      "in the low silver light of a late autumn afternoon",
      "under a brooding slate-grey sky",
      "at a soft pastel dusk",
      "in the first weak light of a cold morning",
    ],
    weather: [
      "as thick fog rolls in from the river",
      "with a hard frost whitening the ground",
      "while a cold drizzle softens the horizon",
      "after the last leaves have fallen",
    ],
    details: [
      "in muted browns, soft greys and faded gold",
      "with stark silhouettes against the sky",
      "with the last copper leaves clinging to the branches",
      "in quiet, moody and atmospheric tones",
    ],
  },
  December: {
    scenes: [
      "a snow-covered log cabin deep in an evergreen forest",
      "a holly bush bright with red berries",
      "a frozen lake beneath snowy peaks in a hushed alpine valley",
      "a reindeer standing on a vast snowy tundra",
      "a row of frosted fir trees at the edge of a snowbound village",
      "a robin on a snowy branch of a towering pine",
    ],
    light: [
      "in the rosy light of a winter sunset",
      "beneath ribbons of green northern lights",
      "in the soft blue light of a December dusk",
      "in the pale glow of a short winter day",
    ],
    weather: [
      "as large soft snowflakes fall silently",
      "with a fresh blanket of snow over everything",
      "on a still and bitterly cold day",
      "while a gentle snowfall settles on the branches",
    ],
    details: [
      "in festive shades of deep green, crimson and snowy white",
      "glowing in icy blues and warm golden highlights",
      "with every branch dusted in sparkling white",
      "in a calm, quiet palette of winter blues",
    ],
  },
};
