# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "polars>=2.1,<2.2",
#   "numpy>=2.4,<2.5",
#   "mimesis>=22.2,<22.3",
#   "pyarrow>=17",
#   "deltalake>=1.1,<2",
# ]
# ///
"""Retail synthetic data, Tier 1: Polars + NumPy + Mimesis, no Spark.

Six linked tables (contracts in assets/schemas/retail_*.json), written parents first:

| table          | rows (default ratio)                               | flag            |
|----------------|----------------------------------------------------|-----------------|
| stores         | rows / 100,000, between 5 and 50                   | --stores        |
| customers      | --rows exactly (the main entity)                   | --rows          |
| products       | rows / 10, at least 10                             | --products      |
| inventory      | products x stores (every store lists every product) | (follows both)  |
| transactions   | 10 x rows                                          | --transactions  |
| line_items     | about 3 per transaction (1 + Poisson(2))           | --lines-per-transaction |

What makes it convincing, each property measured by tests/test_polars_retail.py:

- customers: Mimesis names of the chosen locale, unique emails on example.com/.net/.org, phones
  (NXX) 555-01XX (5% missing), a US address whose city, state, ZIP and Census region agree (the
  bundled US places table, weighted by population), signup dates 2020-01-01..2024-12-31,
  Gamma(2, 250) lifetime value (USD, the spend history before this data's window; not recomputed
  from it) and a loyalty tier that tracks it: exactly 50/30/15/5 Bronze/Silver/Gold/Platinum,
  ranked by the value plus noise (Spearman rank correlation about 0.72, mean value rising from
  about $290 for Bronze to $1,230 for Platinum).
- products: category mix and per-category lognormal prices ending in .99, cost 35-70% of price,
  brand, subcategory, SKU, launch dates 2015..2023 (before any sale).
- transactions (2024-01-01..2024-12-31 UTC by default): heavy-tailed customer activity (lognormal
  weights, so the busiest 10% of customers make nearly half of the purchases; ``--customer-skew``
  sets their sigma, 1.2 by default, 0 for every customer alike), never before the
  customer's signup date, channel and payment method (no cash online), store. ``amount`` is exactly the sum
  of the transaction's ``line_items.line_total``; ``product_id`` is the product of its first
  line item (line_number 1), the spec's single-product view of a basket.
- line_items: popular products sold more (lognormal popularity), quantity mostly 1, discount 0
  on 70% of lines and Beta(2, 8) otherwise, unit_price = the product's price, line_total =
  quantity x unit_price x (1 - discount) rounded half-up to the cent.
- inventory: end-of-window stock snapshot per store and product, 4% out of stock.

Window, seasonality, dirty data (all measured by the tests):

- ``--start/--end`` move the transactions window; signups (from 4 years before it to its end),
  product launches and store openings (before it) and the inventory snapshot (its last month)
  follow, and _manifest.json records the run's bounds so the validator checks those instead of
  the contracts' 2024 dates.
- ``--seasonality retail`` (Nov/Dec peak, Saturday busiest), ``--monthly-weights``,
  ``--weekday-weights`` and ``--campaign NAME=START:END:MULT`` weight the days purchases fall on;
  still never before the customer's signup.
- ``--inject-nulls TABLE.COLUMN=RATE``, ``--duplicate-rate`` (transactions, line_items: exact
  copies, so those tables grow beyond the planned rows; the summary says by how much) and
  ``--late-rate`` (purchase times pushed 1-8 days past the window's end); recorded in
  _manifest.json so the validator reports them as injected.

Locale: ``--locale`` changes names and street addresses (Mimesis data of that locale); city,
state, ZIP and region always come from the bundled US table so they stay linked. The product
catalogue is English.

Reproducibility: the same --seed and arguments give identical tables with the pinned library
versions; each chunk's values depend only on (seed, table, chunk start), so the data does not
depend on column order or on which tables are written.

Scale, measured on a 2-core machine: ``--rows 1000000`` (42 million rows over the six tables,
0.7 GB of parquet) takes about 21 s and peaks under 1 GiB of memory (Delta: 1.4 GiB); tables are
generated and written in chunks, transactions with their line items from one random stream per
chunk, so line items and totals agree without holding a table in memory.

Unity Catalog: ``--catalog C --schema S`` also writes every table to C.S.<table> over
Databricks Connect (Arrow slices; synthetic marker and contract comments; existing tables only
replaced with ``--mode overwrite`` and only if this tool made them): ``uv run --python 3.12 --with
"databricks-connect>=16.4,<17" scripts/generators/polars/retail.py --catalog main --schema demo``.
Without --catalog nothing imports pyspark or databricks-connect.

Example: ``uv run scripts/generators/polars/retail.py --rows 100000 --format delta --output out/retail``
In a notebook (after ``%pip install polars mimesis deltalake``), paste this file into a cell: it
runs with the defaults; call ``main(["--rows", "100000", "--output",
"/Volumes/<catalog>/<schema>/<volume>/retail"])`` to choose options.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import shutil
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

INDUSTRY = "retail"
GENERATOR = "scripts/generators/polars/retail.py"

# ---------------------------------------------------------------------------------------------
# Sizes and ratios (documented in --help and in each contract's "rows")
# ---------------------------------------------------------------------------------------------
DEFAULT_ROWS = 10_000
PRODUCTS_PER_CUSTOMER = 0.1
MIN_PRODUCTS = 10  # enough for every category to appear in small demos
TRANSACTIONS_PER_CUSTOMER = 10
CUSTOMERS_PER_STORE = 100_000
MIN_STORES, MAX_STORES = 5, 50  # inventory is products x stores, so stores stay few by default
DEFAULT_LINES_PER_TRANSACTION = 3.0  # mean of 1 + Poisson(mean - 1): never an empty basket

# Fixed windows, never today's date, so a seed means the same data next year. The transactions
# window is --start/--end (inclusive, UTC); every other date range follows it (Calendar below), so
# with the defaults: signups 2020-01-01..2024-12-31, launches 2015..2023, stores opened 1995..2023.
DEFAULT_START, DEFAULT_END = date(2024, 1, 1), date(2024, 12, 31)
SIGNUP_YEARS = 4  # customers signed up from 4 years before the window to its last day
LAUNCH_YEARS = 9  # products launched in the 9 years before the window: every one exists before any sale
OPENED_YEARS = 29  # stores opened in the 29 years before the window: every one is open all window
# Inventory counts were last updated in the window's last calendar month.

# Salts keep the random streams of different tables apart for the same seed and chunk start.
STORE_SALT, CUSTOMER_SALT, PRODUCT_SALT, INVENTORY_SALT, TRANSACTION_SALT, POOL_SALT = range(1, 7)

# ---------------------------------------------------------------------------------------------
# Distributions (true parameters, in output units; the contracts repeat them)
# ---------------------------------------------------------------------------------------------
LOYALTY_TIERS = {"Bronze": 50, "Silver": 30, "Gold": 15, "Platinum": 5}
LIFETIME_VALUE_SHAPE, LIFETIME_VALUE_SCALE = 2, 250.0  # Gamma: mean $500, long right tail (integer shape: closed-form CDF)
# The tier tracks lifetime value without being fixed by it (a Gaussian copula): the value's normal
# score z = Phi^-1(F_Gamma(value)) is blended with independent noise, latent = rho z + sqrt(1 - rho^2) e,
# and each chunk's customers are ranked by the latent and cut at 50/80/95%, so the tier shares are
# exact and the value keeps its Gamma. rho 0.8 gives a Spearman rank correlation of about 0.715
# between tier and value and mean values of about $290 / $560 / $830 / $1,230 from Bronze to
# Platinum, with overlap (a few Bronze customers spent a lot, as in a real programme).
TIER_VALUE_RHO = 0.8
# Acklam's rational approximation of the normal quantile Phi^-1 (relative error < 1.2e-9; NumPy
# has no ndtri): a central rational function in (p - 1/2)^2 and a tail one in sqrt(-2 ln p).
ACKLAM_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02,
            -3.066479806614716e01, 2.506628277459239e00)
ACKLAM_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01,
            -1.328068155288572e01, 1.0)
ACKLAM_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00, -2.549732539343734e00,
            4.374664141464968e00, 2.938163982698783e00)
ACKLAM_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00, 1.0)
ACKLAM_TAIL = 0.02425  # below this tail probability the tail formula applies
PHONE_AREA_CODES = range(200, 1000)  # NANP area codes start at 2
PHONE_NULL_RATE = 0.05  # customers who gave no phone number
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # RFC 2606: no real mailbox
# Per-customer purchase propensity ~ lognormal(0, sigma). With sigma 1.2 the top 10% of
# customers hold 1 - Phi(1.2816 - sigma) = 47% of the weight: a few loyal heavy buyers, a long
# tail of occasional ones. Scaled by the share of the window after signup. --customer-skew sets
# sigma: 0 makes every customer equally likely (Poisson counts), 2 gives the top 10% 76%.
ACTIVITY_SIGMA = 1.2
MAX_CUSTOMER_SKEW = 4.0  # sigma 4: the top 10% hold 99.7% of the weight; more says nothing new
# Product popularity ~ lognormal(0, 1.0): the top 10% of products take ~39% of line items.
POPULARITY_SIGMA = 1.0
QUANTITY_P = 0.65  # quantity ~ Geometric(0.65): 65% of lines are a single unit
MAX_QUANTITY = 12
DISCOUNT_ZERO_SHARE = 0.70  # most lines sell at full price
DISCOUNT_ALPHA, DISCOUNT_BETA = 2.0, 8.0  # discounted lines: Beta(2, 8), mean 20% off
MAX_DISCOUNT = 0.90
# Share of purchases by local hour (0..23) of a US shopping day: quiet nights, a rise through
# the morning, a noon-to-8pm plateau. Timestamps are UTC; the profile is placed at Eastern time
# (UTC-5) and wraps within the same UTC day, so a purchase never leaves its drawn day.
LOCAL_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 12, 12, 11, 11, 12, 13, 13, 12, 10, 7, 4, 2)
UTC_OFFSET_HOURS = -5
CHANNELS = {"In-Store": 60, "Online": 30, "Mobile App": 10}
IN_STORE_PAYMENTS = {"Credit Card": 40, "Debit Card": 30, "Cash": 15, "Digital Wallet": 12, "Gift Card": 3}
REMOTE_PAYMENTS = {"Credit Card": 55, "Debit Card": 20, "Digital Wallet": 20, "Gift Card": 5}
STORE_FORMATS = {"Standard": 60, "Express": 25, "Outlet": 10, "Flagship": 5}
COST_SHARE_LOW, COST_SHARE_HIGH = 0.35, 0.70  # unit cost as a share of price (gross margin 30-65%)
STOCKOUT_SHARE = 0.04  # inventory rows with nothing on hand
STOCK_SHAPE, STOCK_SCALE = 2.0, 25.0  # units on hand when in stock: 1 + Gamma(2, 25), mean ~51
REORDER_POINT_LOW, REORDER_POINT_HIGH = 5, 25

# Category: (share of the catalogue %, median price USD, sigma of log price, subcategories).
# Subcategory: (SKU code, product nouns).
CATALOG = {
    "Electronics": ("ELE", 12, 120.0, 0.9, {
        "Audio": ("AUD", ("Wireless Earbuds", "Bluetooth Speaker", "Over-Ear Headphones", "Soundbar")),
        "Computer Accessories": ("CMP", ("Mechanical Keyboard", "Wireless Mouse", "USB-C Hub", "Monitor Arm")),
        "Phone Accessories": ("PHN", ("Phone Case", "Fast Charger", "Power Bank", "Screen Protector")),
        "TV & Video": ("TVV", ("Smart TV", "Streaming Stick", "HDMI Cable", "TV Wall Mount")),
        "Cameras": ("CAM", ("Action Camera", "Tripod", "Camera Bag", "Memory Card")),
    }),
    "Home & Kitchen": ("HOM", 18, 35.0, 0.8, {
        "Cookware": ("CKW", ("Nonstick Skillet", "Dutch Oven", "Saucepan Set", "Baking Sheet")),
        "Bedding": ("BED", ("Sheet Set", "Duvet Cover", "Pillow", "Weighted Blanket")),
        "Decor": ("DEC", ("Table Lamp", "Wall Mirror", "Throw Pillow", "Scented Candle")),
        "Storage": ("STO", ("Storage Bins", "Shoe Rack", "Pantry Organizer", "Closet Shelf")),
        "Small Appliances": ("APL", ("Coffee Maker", "Blender", "Air Fryer", "Toaster")),
    }),
    "Clothing": ("CLO", 20, 30.0, 0.6, {
        "Tops": ("TOP", ("T-Shirt", "Oxford Shirt", "Hoodie", "Sweater")),
        "Bottoms": ("BOT", ("Jeans", "Chinos", "Joggers", "Shorts")),
        "Outerwear": ("OUT", ("Rain Jacket", "Puffer Jacket", "Fleece Vest", "Wool Coat")),
        "Footwear": ("FTW", ("Running Shoes", "Sneakers", "Boots", "Sandals")),
        "Accessories": ("ACC", ("Baseball Cap", "Leather Belt", "Scarf", "Socks 3-Pack")),
    }),
    "Grocery": ("GRO", 15, 6.0, 0.6, {
        "Snacks": ("SNK", ("Tortilla Chips", "Trail Mix", "Granola Bars", "Pretzels")),
        "Beverages": ("BEV", ("Sparkling Water", "Cold Brew Coffee", "Green Tea", "Orange Juice")),
        "Pantry": ("PAN", ("Pasta", "Olive Oil", "Peanut Butter", "Rolled Oats")),
        "Dairy": ("DAI", ("Greek Yogurt", "Cheddar Cheese", "Whole Milk", "Butter")),
        "Produce": ("PRO", ("Avocados", "Bananas", "Baby Spinach", "Strawberries")),
    }),
    "Beauty & Personal Care": ("BTY", 10, 15.0, 0.6, {
        "Skincare": ("SKN", ("Moisturizer", "Sunscreen SPF 50", "Face Cleanser", "Serum")),
        "Hair Care": ("HAR", ("Shampoo", "Conditioner", "Hair Dryer", "Styling Gel")),
        "Makeup": ("MKP", ("Lipstick", "Mascara", "Foundation", "Eyeshadow Palette")),
        "Oral Care": ("ORL", ("Electric Toothbrush", "Toothpaste", "Dental Floss", "Mouthwash")),
    }),
    "Sports & Outdoors": ("SPO", 10, 45.0, 0.9, {
        "Fitness": ("FIT", ("Yoga Mat", "Dumbbell Set", "Resistance Bands", "Foam Roller")),
        "Camping": ("CPG", ("Tent", "Sleeping Bag", "Camp Stove", "Headlamp")),
        "Cycling": ("CYC", ("Bike Helmet", "Bike Lights", "Water Bottle", "Cycling Gloves")),
        "Team Sports": ("TEA", ("Basketball", "Soccer Ball", "Baseball Glove", "Shin Guards")),
    }),
    "Toys & Games": ("TOY", 8, 25.0, 0.7, {
        "Building Sets": ("BLD", ("Building Blocks Set", "Marble Run", "Magnetic Tiles")),
        "Board Games": ("BRD", ("Board Game", "Card Game", "Jigsaw Puzzle")),
        "Dolls & Figures": ("DOL", ("Action Figure", "Doll House", "Plush Bear")),
        "Outdoor Play": ("OPL", ("Water Blaster", "Kite", "Kick Scooter")),
    }),
    "Books & Media": ("BOK", 7, 15.0, 0.5, {
        "Fiction": ("FIC", ("Paperback Novel", "Hardcover Thriller", "Mystery Box Set")),
        "Non-Fiction": ("NON", ("Cookbook", "Biography", "Travel Guide")),
        "Children's Books": ("KID", ("Picture Book", "Activity Book", "Early Reader")),
        "Music & Film": ("MUS", ("Vinyl Record", "Blu-ray Movie", "Audio CD")),
    }),
}
PRODUCT_DESCRIPTORS = (
    "Classic", "Essential", "Premium", "Pro", "Everyday", "Deluxe", "Compact", "Ultra", "Eco",
    "Signature", "Original", "Lite", "Max", "Plus", "Select", "Studio", "Urban", "Heritage",
)
BRAND_SUFFIXES = ("", " & Co.", " Goods", " Works", " Home", " Supply", " Labs", " Brothers")
BRAND_COUNT = 150  # invented brands: surnames from Mimesis plus a suffix
MIN_PRICE_CENTS, MAX_PRICE_CENTS = 99, 499_999

# Output bytes per row for --dry-run's estimate, measured on runs of 100K and 1M customers
# (zstd parquet; Delta stores the same parquet files).
BYTES_PER_ROW = {
    "parquet": {"stores": 60, "customers": 41, "products": 19, "inventory": 7.5, "transactions": 18, "line_items": 10},
    "csv": {"stores": 77, "customers": 153, "products": 109, "inventory": 45, "transactions": 85, "line_items": 40},
    "json": {"stores": 160, "customers": 344, "products": 215, "inventory": 109, "transactions": 210, "line_items": 147},
}
BYTES_PER_ROW["delta"] = BYTES_PER_ROW["parquet"]

# ---------------------------------------------------------------------------------------------
# US places (copied verbatim from scripts/utils/us_places.py)
# ---------------------------------------------------------------------------------------------
US_CENSUS_REGIONS = {
    "Northeast": "CT ME MA NH RI VT NJ NY PA",
    "Midwest": "IL IN MI OH WI IA KS MN MO NE ND SD",
    "South": "DE DC FL GA MD NC SC VA WV AL KY MS TN AR LA OK TX",
    "West": "AZ CO ID MT NV NM UT WY AK CA HI OR WA",
}


US_PLACES = """\
AK|Anchorage,99501-99,290
AL|Huntsville,35801-24,215;Birmingham,35203-44,196;Montgomery,36104-19,195;Mobile,36602-95,183
AL|Tuscaloosa,35401-06,111
AR|Little Rock,72201-27,203
AZ|Phoenix,85003-86,1650;Tucson,85701-57,543;Mesa,85201-15,472;Chandler,85224-86,261
AZ|Gilbert,85233-98,248;Glendale,85301-10,240;Scottsdale,85250-66,237;Peoria,85345-83,191
AZ|Tempe,85281-88,176;Surprise,85374-88,143
CA|Los Angeles,90001-79,3821;San Diego,92101-99,1404;San Jose,95101-48,997
CA|San Francisco,94102-88,828;Fresno,93701-37,542;Sacramento,95811-64,525
CA|Long Beach,90802-33,474;Oakland,94601-21,419;Bakersfield,93301-14,374;Anaheim,92801-99,351
CA|Riverside,92501-08,317;Santa Ana,92701-99,310;Stockton,95202-19,306;Chula Vista,91910-15,266
CA|Irvine,92602-20,257;Fremont,94536-55,232;San Bernardino,92401-11,216;Fontana,92335-37,213
CA|Modesto,95350-58,211;Oxnard,93030-36,207;Moreno Valley,92551-57,204
CA|Huntington Beach,92646-49,202;Glendale,91201-10,201;Santa Clarita,91350-90,182
CA|Santa Rosa,95401-09,178;Oceanside,92054-58,176;Garden Grove,92840-45,175
CA|Rancho Cucamonga,91701-39,175;Ontario,91758-64,171;Elk Grove,95757-58,167;Corona,92878-83,164
CA|Lancaster,93534-36,161;Palmdale,93550-91,158;Hayward,94541-45,158;Salinas,93901-08,157
CA|Sunnyvale,94085-89,156;Pomona,91766-68,153;Escondido,92025-29,151;Valencia,91354-55,148
CA|Torrance,90501-06,144;Pasadena,91101-07,142;Orange,92862-69,141;Fullerton,92831-35,141
CA|Van Nuys,91401-11,136;Roseville,95661-78,130;Visalia,93277-92,130;Thousand Oaks,91360-62,129
CA|Concord,94518-21,129;Simi Valley,93063-65,127;Santa Clara,95050-54,126
CA|Victorville,92392-95,122;Vallejo,94589-92,122;Chico,95926-73,121;Berkeley,94702-10,121
CA|El Monte,91731-32,117;Carlsbad,92008-11,115;Downey,90240-42,114;Costa Mesa,92626-27,113
CA|Fairfield,94533-34,113;Inglewood,90301-11,112;Antioch,94509-31,111;Temecula,92590-92,110
CA|Murrieta,92562-63,110;Richmond,94801-50,110;West Covina,91790-92,108;Norwalk,90650-50,107
CA|Daly City,94014-15,107;Burbank,91501-06,105;Santa Maria,93454-58,105;Clovis,93611-19,104
CA|El Cajon,92019-21,104;San Mateo,94401-04,104
CO|Denver,80202-99,729;Colorado Springs,80902-51,457;Aurora,80010-45,359
CO|Fort Collins,80521-28,171;Thornton,80241-41,133;Westminster,80030-31,116;Arvada,80002-07,115
CO|Pueblo,81001-08,109;Greeley,80631-34,109;Boulder,80301-05,107
CT|Bridgeport,06604-10,148;New Haven,06510-19,130;Stamford,06901-10,129;Hartford,06101-52,121
CT|Waterbury,06701-10,109
DC|Washington,20001-45,690
DE|Wilmington,19801-10,71
FL|Jacksonville,32202-77,1010;Miami,33122-98,487;Tampa,33602-47,415;Orlando,32801-39,335
FL|St. Petersburg,33701-30,257;Hialeah,33010-18,237;Tallahassee,32301-17,202
FL|Fort Lauderdale,33301-94,183;Cape Coral,33904-93,175;Pembroke Pines,33028-28,167
FL|Port Saint Lucie,34952-87,165;Hollywood,33019-29,150;Gainesville,32601-53,145
FL|Coral Springs,33065-71,129;West Palm Beach,33401-17,121;Palm Bay,32905-09,120
FL|Clearwater,33755-65,117;Miami Gardens,33056-56,113;Pompano Beach,33060-76,108
FL|Lakeland,33801-15,104;Brandon,33510-11,103
GA|Atlanta,30303-69,511;Columbus,31901-09,207;Savannah,31401-21,148;Athens,30601-07,127
HI|Honolulu,96813-50,351
IA|Des Moines,50307-95,214;Cedar Rapids,52401-11,130
ID|Boise,83702-16,236
IL|Chicago,60601-99,2664;Aurora,60502-06,201;Rockford,61101-14,148;Joliet,60431-36,148
IL|Naperville,60540-65,147;Peoria,61602-15,115;Springfield,62701-12,114;Elgin,60120-24,112
IN|Indianapolis,46201-90,888;Fort Wayne,46802-45,260;Evansville,47708-25,120
KS|Wichita,67202-76,396;Overland Park,66204-51,187;Kansas City,66101-18,153;Olathe,66061-62,134
KS|Topeka,66603-83,126
KY|Louisville,40202-99,624;Lexington,40502-17,320
LA|New Orleans,70112-70,363;Baton Rouge,70801-36,227;Shreveport,71101-29,188
LA|Metairie,70001-06,138;Lafayette,70501-08,121
MA|Boston,02108-99,654;Worcester,01602-55,207;Springfield,01103-52,154;Lowell,01850-54,111
MA|Cambridge,02138-42,110
MD|Baltimore,21201-87,586
ME|Portland,04101-09,67
MI|Detroit,48201-43,646;Grand Rapids,49503-48,195;Warren,48088-93,134
MI|Sterling Heights,48310-14,132;Ann Arbor,48103-09,117;Lansing,48906-33,113
MN|Minneapolis,55401-55,411;Saint Paul,55101-31,303;Rochester,55901-06,112
MO|Kansas City,64101-67,475;St. Louis,63101-80,280;Springfield,65802-10,170
MO|Columbia,65201-99,129;Independence,64050-58,117
MS|Jackson,39201-69,154
MT|Billings,59101-06,117
NC|Charlotte,28202-87,911;Raleigh,27601-17,482;Greensboro,27401-95,285;Durham,27701-13,258
NC|Winston-Salem,27101-27,241;Fayetteville,28301-14,202;Cary,27511-19,160
NC|Wilmington,28401-12,116;High Point,27260-65,110
ND|Fargo,58102-04,119
NE|Omaha,68102-76,486;Lincoln,68502-88,295
NH|Manchester,03101-09,110
NJ|Newark,07102-14,282;Jersey City,07302-11,264;Paterson,07501-24,148;Elizabeth,07201-08,129
NM|Albuquerque,87101-23,565
NV|Las Vegas,89101-99,642;Henderson,89002-74,286;Reno,89501-23,264;North Las Vegas,89030-87,235
NY|Brooklyn,11201-56,2736;New York,10001-90,1488;Bronx,10451-75,1385;Staten Island,10301-14,469
NY|Buffalo,14201-28,258;Jamaica,11430-36,217;Rochester,14604-26,210;Yonkers,10701-10,201
NY|Astoria,11102-06,150;Syracuse,13202-24,144;Elmhurst,11373-73,113;Corona,11368-68,110
OH|Columbus,43201-40,913;Cleveland,44102-44,365;Cincinnati,45202-55,311;Toledo,43601-23,266
OH|Akron,44301-33,198;Dayton,45402-79,136
OK|Oklahoma City,73102-95,681;Tulsa,74103-72,413;Norman,73026-72,128;Broken Arrow,74011-14,107
OR|Portland,97201-67,653;Eugene,97401-08,177;Salem,97301-17,176;Gresham,97030-80,111
PA|Philadelphia,19102-54,1574;Pittsburgh,15201-95,304;Allentown,18101-95,120
RI|Providence,02903-09,191
SC|Columbia,29201-29,142;Charleston,29401-92,133;North Charleston,29405-20,108
SD|Sioux Falls,57103-10,172
TN|Nashville,37201-38,689;Memphis,38103-57,633;Knoxville,37902-38,191;Chattanooga,37402-50,181
TN|Clarksville,37040-43,167;Murfreesboro,37127-30,165
TX|Houston,77002-99,2314;San Antonio,78201-85,1527;Dallas,75201-87,1326;Fort Worth,76102-79,1008
TX|Austin,78701-99,974;El Paso,79901-38,679;Arlington,76001-18,388;Corpus Christi,78401-19,316
TX|Plano,75023-94,284;Laredo,78040-46,256;Lubbock,79401-24,249;Garland,75040-44,237
TX|Irving,75038-63,237;Cypress,77429-33,201;Amarillo,79101-24,199;Grand Prairie,75050-54,188
TX|Brownsville,78520-26,187;McKinney,75069-72,163;Frisco,75033-36,154;Pasadena,77502-07,154
TX|Mesquite,75149-81,145;Killeen,76541-49,141;McAllen,78501-04,140;Carrollton,75006-10,133
TX|Midland,79701-12,133;Waco,76701-98,132;Denton,76201-10,131;Abilene,79601-06,125
TX|Round Rock,78664-81,116;Beaumont,77701-13,115;Odessa,79761-66,114;Richardson,75080-82,111
TX|Pearland,77581-84,109;College Station,77840-45,108;Wichita Falls,76301-10,105
TX|Lewisville,75057-77,104;Tyler,75701-09,104
UT|Salt Lake City,84101-80,216;West Valley City,84119-28,136;Provo,84601-06,115
UT|West Jordan,84081-88,112
VA|Virginia Beach,23451-64,455;Norfolk,23502-23,238;Chesapeake,23320-25,235
VA|Richmond,23219-98,227;Arlington,22201-14,208;Newport News,23601-08,186
VA|Alexandria,22301-32,159;Hampton,23661-69,137
VT|Burlington,05401-08,42
WA|Seattle,98101-99,781;Spokane,99201-24,229;Tacoma,98402-66,223;Vancouver,98660-86,196
WA|Bellevue,98004-08,140;Kent,98030-42,127;Everett,98201-08,108
WI|Milwaukee,53202-33,564;Madison,53703-26,280;Green Bay,54301-13,105
WV|Huntington,25701-05,49
WY|Cheyenne,82001-09,65
"""


def us_places() -> pl.DataFrame:
    """Parse ``US_PLACES`` into one row per city, with its Census region and population weight."""
    region_of = {state: region for region, states in US_CENSUS_REGIONS.items() for state in states.split()}
    records = []
    for line in US_PLACES.splitlines():
        state, cities = line.split("|")
        for record in cities.split(";"):
            city, zip_range, thousands = record.split(",")
            low, high_suffix = zip_range.split("-")
            records.append((city, state, low[:3], int(low), int(low[:3] + high_suffix), region_of[state], int(thousands)))
    return pl.DataFrame(
        records,
        schema={
            "city": pl.String,
            "state": pl.String,
            "zip_prefix": pl.String,
            "zip_low": pl.Int64,
            "zip_high": pl.Int64,
            "region": pl.String,
            "weight": pl.Int64,
        },
        orient="row",
    )


def draw_us_places(places: pl.DataFrame, rng: np.random.Generator, n: int) -> pl.DataFrame:
    """Draw ``n`` linked (city, state, postal_code, region) rows, weighted by population.

    One uniform draw per row picks the place: each city owns as many slots of a lookup table as
    its weight (whole thousands of people), so the draw's slot is its city, a weighted choice
    without a per-row search; a second draw picks the ZIP inside that city's range. ZIPs are
    gathered from the 100,000 five-digit strings rather than zero-padded row by row.
    """
    weight = places["weight"].to_numpy()
    city_of_slot = np.repeat(np.arange(len(weight)), weight)
    index = pl.Series(city_of_slot[(rng.random(n) * len(city_of_slot)).astype(np.int64)])
    chosen = places.select(pl.col("city", "state", "region", "zip_low", "zip_high").gather(index))
    low = chosen["zip_low"].to_numpy()
    postal = low + (rng.random(n) * (chosen["zip_high"].to_numpy() - low + 1)).astype(np.int64)
    five_digits = pl.select(pl.int_range(100_000).cast(pl.String).str.zfill(5)).to_series()
    return chosen.select("city", "state", five_digits.gather(postal).alias("postal_code"), "region")


# ---------------------------------------------------------------------------------------------
# Polars schemas, one per table, matching assets/schemas/retail_<entity>.json
# ---------------------------------------------------------------------------------------------
MONEY = pl.Decimal(12, 2)
PRICE = pl.Decimal(10, 2)
RATE = pl.Decimal(4, 2)
UTC_TIMESTAMP = pl.Datetime("us", "UTC")

STORES_SCHEMA = {
    "store_id": pl.Int64,
    "name": pl.String,
    "format": pl.String,
    "city": pl.String,
    "state": pl.String,
    "postal_code": pl.String,
    "region": pl.String,
    "opened_date": pl.Date,
}
CUSTOMERS_SCHEMA = {
    "customer_id": pl.Int64,
    "first_name": pl.String,
    "last_name": pl.String,
    "name": pl.String,
    "email": pl.String,
    "phone": pl.String,
    "street_address": pl.String,
    "city": pl.String,
    "state": pl.String,
    "postal_code": pl.String,
    "region": pl.String,
    "loyalty_tier": pl.String,
    "signup_date": pl.Date,
    "lifetime_value": MONEY,
}
PRODUCTS_SCHEMA = {
    "product_id": pl.Int64,
    "sku": pl.String,
    "name": pl.String,
    "brand": pl.String,
    "category": pl.String,
    "subcategory": pl.String,
    "price": PRICE,
    "cost": PRICE,
    "launch_date": pl.Date,
}
INVENTORY_SCHEMA = {
    "product_id": pl.Int64,
    "store_id": pl.Int64,
    "quantity": pl.Int32,
    "reorder_point": pl.Int32,
    "last_updated": UTC_TIMESTAMP,
}
TRANSACTIONS_SCHEMA = {
    "txn_id": pl.Int64,
    "customer_id": pl.Int64,
    "product_id": pl.Int64,
    "store_id": pl.Int64,
    "timestamp": UTC_TIMESTAMP,
    "channel": pl.String,
    "payment_method": pl.String,
    "line_count": pl.Int32,
    "item_count": pl.Int32,
    "amount": MONEY,
}
LINE_ITEMS_SCHEMA = {
    "line_item_id": pl.Int64,
    "txn_id": pl.Int64,
    "line_number": pl.Int32,
    "product_id": pl.Int64,
    "quantity": pl.Int32,
    "unit_price": PRICE,
    "discount": RATE,
    "line_total": MONEY,
}
SCHEMAS = {
    "stores": STORES_SCHEMA,
    "customers": CUSTOMERS_SCHEMA,
    "products": PRODUCTS_SCHEMA,
    "inventory": INVENTORY_SCHEMA,
    "transactions": TRANSACTIONS_SCHEMA,
    "line_items": LINE_ITEMS_SCHEMA,
}
FIRST_ID = {"stores": 1, "customers": 1_000_000, "products": 1, "transactions": 1, "line_items": 1}
# Primary and foreign key columns (the contracts' primary_key and foreign_keys): never nulled.
KEY_COLUMNS = {
    "stores": ("store_id",),
    "customers": ("customer_id",),
    "products": ("product_id",),
    "inventory": ("product_id", "store_id"),
    "transactions": ("txn_id", "customer_id", "product_id", "store_id"),
    "line_items": ("line_item_id", "txn_id", "product_id"),
}
# --duplicate-rate copies rows of the fact tables (what pipelines deliver at least once), not of
# the entities keys point at; --late-rate moves purchase times; seasonality shapes them too.
DUPLICATE_TABLES = ("transactions", "line_items")
LATE_COLUMNS = {"transactions": ("timestamp",)}


def day_number(day: date) -> int:
    """Days since 1970-01-01, the physical value of a Polars Date."""
    return (day - date(1970, 1, 1)).days


def streams(seed: int, salt: int, start: int, names: tuple[str, ...]) -> dict[str, np.random.Generator]:
    """One independent generator per column for one chunk of one table.

    Spawned from (seed, table salt, chunk start), so a chunk's values depend on nothing else;
    new columns are appended to ``names`` so the existing ones keep their values.
    """
    children = np.random.SeedSequence([seed, salt, start]).spawn(len(names))
    return dict(zip(names, (np.random.default_rng(child) for child in children)))


def normal_quantile(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Phi^-1(p) for p = lower = 1 - upper, both tails given so neither loses digits (Acklam)."""
    lower, upper = np.maximum(lower, 1e-300), np.maximum(upper, 1e-300)  # 0 would be -inf
    q = lower - 0.5
    r = q * q
    central = np.polyval(ACKLAM_A, r) * q / np.polyval(ACKLAM_B, r)
    s = np.sqrt(-2.0 * np.log(np.minimum(lower, upper)))
    tail = np.polyval(ACKLAM_C, s) / np.polyval(ACKLAM_D, s)  # Phi^-1 of the smaller tail (< 0)
    tail = np.where(lower <= upper, tail, -tail)
    return np.where(np.minimum(lower, upper) < ACKLAM_TAIL, tail, central)


def gamma_normal_score(values: np.ndarray, shape: int, scale: float) -> np.ndarray:
    """Phi^-1(F(value)) for Gamma(shape, scale) with integer shape, whose tail is closed-form:
    P(X > x) = exp(-t) * sum_{j < shape} t^j / j!, t = x / scale."""
    t = np.maximum(values, 0.0) / scale
    term, partial_sum = np.ones_like(t), np.zeros_like(t)
    for j in range(1, shape):  # the series from t^1; the t^0 term is folded into expm1 below
        term = term * t / j
        partial_sum += term
    upper = np.exp(-t) * (1.0 + partial_sum)
    lower = -np.expm1(-t) - np.exp(-t) * partial_sum  # 1 - upper without cancelling near 0
    return normal_quantile(lower, upper)


def tiers_by_rank(score: np.ndarray, weights: dict[str, int]) -> np.ndarray:
    """Tier index of each row: rows ranked by score, cut at the tiers' cumulative shares, so the
    shares are exact (to the nearest row) within the chunk."""
    n = len(score)
    cumulative = np.cumsum(list(weights.values()))[:-1] / sum(weights.values())
    cuts = np.floor(cumulative * n + 0.5)
    tier = np.empty(n, dtype=np.int64)
    tier[np.argsort(score, kind="stable")] = np.searchsorted(cuts, np.arange(n), side="right")
    return tier


def utc_hour_pool() -> np.ndarray:
    """UTC hours repeated by the weight of the local hour they correspond to."""
    utc_hours = np.arange(24)
    local_weights = np.array(LOCAL_HOUR_WEIGHTS)[(utc_hours + UTC_OFFSET_HOURS) % 24]
    return np.repeat(utc_hours, local_weights)


def weighted_pool(weights: dict[str, int]) -> pl.Series:
    """Each value repeated by its integer weight: a uniform index into it is an exact weighted draw."""
    return pl.Series(np.repeat(list(weights), list(weights.values())), dtype=pl.String)


def cents_to_decimal(cents: np.ndarray, dtype: pl.Decimal) -> pl.Series:
    """Integer cents as a decimal column; exact (float cast rounds to the nearest cent)."""
    return (pl.Series(cents, dtype=pl.Int64) / 100).cast(dtype)


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for a 29th with no leap year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Calendar:
    """Every date range of a run, derived from the transactions window so parents come first."""

    first: date  # transactions window, inclusive
    last: date

    @property
    def signup(self) -> tuple[date, date]:
        return years_before(self.first, SIGNUP_YEARS), self.last

    @property
    def launch(self) -> tuple[date, date]:
        return years_before(self.first, LAUNCH_YEARS), self.first - timedelta(days=1)

    @property
    def opened(self) -> tuple[date, date]:
        return years_before(self.first, OPENED_YEARS), self.first - timedelta(days=1)

    @property
    def snapshot(self) -> tuple[date, date]:
        return self.last.replace(day=1), self.last

    def bounds(self) -> dict[str, dict[str, str]]:
        """The window-dependent contract bounds of this run (_manifest.json "bounds")."""
        def span(first: date, last: date, timestamp: bool = False) -> dict[str, str]:
            if timestamp:
                return {"min": f"{first}T00:00:00Z", "max": f"{last}T23:59:59Z"}
            return {"min": first.isoformat(), "max": last.isoformat()}

        return {
            "stores.opened_date": span(*self.opened),
            "customers.signup_date": span(*self.signup),
            "products.launch_date": span(*self.launch),
            "inventory.last_updated": span(*self.snapshot, timestamp=True),
            "transactions.timestamp": span(self.first, self.last, timestamp=True),
        }


def uniform_days(rng: np.random.Generator, first: date, last: date, n: int) -> pl.Series:
    return pl.Series(rng.integers(day_number(first), day_number(last) + 1, n).astype(np.int32)).cast(pl.Date)


# ---------------------------------------------------------------------------------------------
# Value pools, built once per run from Mimesis (de-duplicated and sorted: set order depends
# on PYTHONHASHSEED)
# ---------------------------------------------------------------------------------------------
@dataclass
class Pools:
    first_names: pl.Series
    last_names: pl.Series
    first_email: pl.Series  # ASCII e-mail form of first_names, same order
    last_email: pl.Series
    street_addresses: pl.Series
    brands: pl.Series
    places: pl.DataFrame
    street_parts: pl.DataFrame | None = None  # street_addresses split around their house number
    phones: pl.Series | None = None  # every "(AAA) 555-01LL", indexed (AAA - 200) * 100 + LL

    def __post_init__(self) -> None:
        # Built once per run, so each row costs a gather instead of a regex or a format call.
        self.street_parts = self.street_addresses.str.extract_groups(r"^(\D*)(\d+)?(.*)$").struct.unnest()
        number = pl.int_range(PHONE_AREA_CODES.start * 100, PHONE_AREA_CODES.stop * 100)
        self.phones = pl.select(
            pl.format("({}) 555-01{}", number // 100, (number % 100).cast(pl.String).str.zfill(2))
        ).to_series()


def email_form(names: pl.Series, fallback: str) -> pl.Series:
    """Lower-case ASCII letters of each name (accents dropped); ``fallback`` when none are left
    (Cyrillic, CJK ...), so every locale yields valid, pattern-matching e-mail addresses."""
    letters = names.str.normalize("NFKD").str.to_lowercase().str.replace_all(r"[^a-z]", "")
    return pl.select(pl.when(letters == "").then(pl.lit(fallback)).otherwise(letters)).to_series()


def build_pools(locale: str, seed: int) -> Pools:
    from mimesis import Address, Locale, Person

    person = Person(Locale(locale), seed=seed)
    address = Address(Locale(locale), seed=seed)
    # Enough draws to cover each locale's name lists (a few thousand entries at most).
    first_names = pl.Series(sorted({person.first_name() for _ in range(12_000)}), dtype=pl.String)
    last_names = pl.Series(sorted({person.last_name() for _ in range(8_000)}), dtype=pl.String)
    street_addresses = pl.Series(sorted({address.address() for _ in range(8_000)}), dtype=pl.String)
    english = Person(Locale.EN, seed=seed)
    surnames = sorted({english.last_name() for _ in range(2_000)})
    rng = np.random.default_rng([seed, POOL_SALT])
    brands = sorted({
        surnames[i] + BRAND_SUFFIXES[j]
        for i, j in zip(rng.integers(0, len(surnames), BRAND_COUNT), rng.integers(0, len(BRAND_SUFFIXES), BRAND_COUNT))
    })
    return Pools(
        first_names=first_names,
        last_names=last_names,
        first_email=email_form(first_names, "customer"),
        last_email=email_form(last_names, ""),
        street_addresses=street_addresses,
        brands=pl.Series(brands, dtype=pl.String),
        places=us_places(),
    )


def catalog_tables() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The catalogue flattened: one row per category, one row per (subcategory, noun)."""
    categories = pl.DataFrame(
        [(name, code, share, median, sigma) for name, (code, share, median, sigma, _) in CATALOG.items()],
        schema={"category": pl.String, "category_code": pl.String, "share": pl.Int64,
                "median_price": pl.Float64, "price_sigma": pl.Float64},
        orient="row",
    )
    nouns = pl.DataFrame(
        [
            (category_index, subcategory, code, noun)
            for category_index, (_, _, _, _, subcategories) in enumerate(CATALOG.values())
            for subcategory, (code, names) in subcategories.items()
            for noun in names
        ],
        schema={"category_index": pl.Int64, "subcategory": pl.String, "subcategory_code": pl.String, "noun": pl.String},
        orient="row",
    )
    return categories, nouns


# ---------------------------------------------------------------------------------------------
# The run's plan and the per-entity arrays the child tables need
# ---------------------------------------------------------------------------------------------
@dataclass
class Plan:
    seed: int
    rows: dict[str, int]
    lines_per_transaction: float
    season: Season  # the transactions window and the weights of its days
    customer_skew: float = ACTIVITY_SIGMA  # sigma of the lognormal purchase propensity
    line_chunks: list[tuple[int, int, int]] = field(default_factory=list)  # (txn start, txn n, first line)
    day_cumulative: np.ndarray | None = None  # running sum of the window's day weights
    pools: Pools | None = None
    customer_cumulative_weight: np.ndarray | None = None
    customer_first_active_day: np.ndarray | None = None
    product_cumulative_weight: np.ndarray | None = None
    product_price_cents: np.ndarray | None = None


def basket_sizes(seed: int, start: int, n: int, lines_per_transaction: float) -> np.ndarray:
    """Lines per transaction, 1 + Poisson(mean - 1): drawn from a stream of its own so the plan
    can count line items without generating them."""
    rng = streams(seed, TRANSACTION_SALT, start, TRANSACTION_STREAMS)["lines"]
    return 1 + rng.poisson(lines_per_transaction - 1.0, n)


def transaction_chunk_rows(lines_per_transaction: float) -> int:
    """Transactions per chunk: CHUNK_ROWS at the default basket size, fewer for bigger baskets,
    so a chunk's line items stay near 3 million rows whatever --lines-per-transaction is."""
    return min(CHUNK_ROWS, max(1, int(CHUNK_ROWS * DEFAULT_LINES_PER_TRANSACTION / lines_per_transaction)))


def make_plan(seed: int, rows: int, products: int | None, stores: int | None, transactions: int | None,
              lines_per_transaction: float, season: Season | None = None,
              customer_skew: float = ACTIVITY_SIGMA) -> Plan:
    store_count = stores or min(max(rows // CUSTOMERS_PER_STORE, MIN_STORES), MAX_STORES)
    product_count = products or max(MIN_PRODUCTS, round(rows * PRODUCTS_PER_CUSTOMER))
    transaction_count = transactions or rows * TRANSACTIONS_PER_CUSTOMER
    season = season or Season(DEFAULT_START, DEFAULT_END)
    plan = Plan(seed=seed, rows={}, lines_per_transaction=lines_per_transaction, season=season,
                customer_skew=customer_skew, day_cumulative=season.cumulative())
    first_line = 0
    for start, n in chunk_bounds(transaction_count, transaction_chunk_rows(lines_per_transaction)):
        plan.line_chunks.append((start, n, first_line))
        first_line += int(basket_sizes(seed, start, n, lines_per_transaction).sum()) if n else 0
    plan.rows = {
        "stores": store_count,
        "customers": rows,
        "products": product_count,
        "inventory": product_count * store_count,
        "transactions": transaction_count,
        "line_items": first_line,
    }
    return plan


def signup_days(plan: Plan, start: int, n: int) -> np.ndarray:
    """Signup day numbers of customers start..start+n-1, from their own stream."""
    rng = streams(plan.seed, CUSTOMER_SALT, start, CUSTOMER_STREAMS)
    signup_first, signup_last = Calendar(plan.season.first, plan.season.last).signup
    return rng["signup"].integers(day_number(signup_first), day_number(signup_last) + 1, n)


def customer_profile(plan: Plan, start: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Signup day and purchase weight of customers start..start+n-1 (shared by customers and
    transactions, so a transaction never precedes its customer's signup)."""
    signup_day = signup_days(plan, start, n)
    rng = streams(plan.seed, CUSTOMER_SALT, start, CUSTOMER_STREAMS)
    propensity = rng["activity"].lognormal(0.0, plan.customer_skew, n)
    # A customer who joined during the window had only part of it to shop in: the share of the
    # window's day weight from the signup day on (the share of its days, without seasonality).
    first_active = np.maximum(signup_day - day_number(plan.season.first), 0)
    return signup_day, propensity * weight_from(plan.day_cumulative, first_active) / plan.day_cumulative[-1]


def product_profile(seed: int, start: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Category index, price in cents and popularity weight of products start..start+n-1."""
    rng = streams(seed, PRODUCT_SALT, start, PRODUCT_STREAMS)
    categories = list(CATALOG.values())
    category_pool = np.repeat(np.arange(len(categories)), [share for _, share, _, _, _ in categories])
    category = category_pool[rng["category"].integers(0, len(category_pool), n)]
    median = np.array([median for _, _, median, _, _ in categories])[category]
    sigma = np.array([sigma for _, _, _, sigma, _ in categories])[category]
    dollars = median * np.exp(sigma * rng["price"].standard_normal(n))
    # Charm pricing: round up to the next dollar, minus a cent (12.30 -> 12.99).
    price_cents = np.clip(np.ceil(dollars) * 100 - 1, MIN_PRICE_CENTS, MAX_PRICE_CENTS).astype(np.int64)
    popularity = rng["popularity"].lognormal(0.0, POPULARITY_SIGMA, n)
    return category, price_cents, popularity


def load_parents(plan: Plan) -> None:
    """The per-customer and per-product arrays transactions draw from (16 bytes per customer)."""
    signup_days, weights = [], []
    for start, n in chunk_bounds(plan.rows["customers"]):
        signup_day, weight = customer_profile(plan, start, n)
        signup_days.append(signup_day)
        weights.append(weight)
    signup_day = np.concatenate(signup_days)
    plan.customer_cumulative_weight = np.cumsum(np.concatenate(weights))
    plan.customer_first_active_day = np.maximum(signup_day, day_number(plan.season.first))
    prices, popularity = [], []
    for start, n in chunk_bounds(plan.rows["products"]):
        _, price_cents, weight = product_profile(plan.seed, start, n)
        prices.append(price_cents)
        popularity.append(weight)
    plan.product_price_cents = np.concatenate(prices)
    plan.product_cumulative_weight = np.cumsum(np.concatenate(popularity))


def weighted_indices(cumulative_weight: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    """n independent indices drawn in proportion to weight: uniforms located in the cumulative sum.

    The uniforms are made already sorted (normalised sums of exponential spacings, O(n)), so
    the search walks the cumulative weights in order instead of jumping around a large array
    (3x faster at a million customers); a random permutation then restores an i.i.d. order.
    """
    spacings = np.cumsum(rng.standard_exponential(n + 1))
    targets = spacings[:-1] * (cumulative_weight[-1] / spacings[-1])
    ordered = np.searchsorted(cumulative_weight, targets, side="right")
    np.minimum(ordered, len(cumulative_weight) - 1, out=ordered)  # float rounding at the very top
    return ordered[rng.permutation(n)]


# ---------------------------------------------------------------------------------------------
# One function per table: rows start .. start+n-1
# ---------------------------------------------------------------------------------------------
STORE_STREAMS = ("place", "format", "opened")
CUSTOMER_STREAMS = ("signup", "activity", "first", "last", "domain", "phone", "phone_null", "street",
                    "house", "place", "tier", "lifetime_value")
PRODUCT_STREAMS = ("category", "price", "popularity", "noun", "descriptor", "brand", "cost", "launch")
INVENTORY_STREAMS = ("stockout", "quantity", "reorder", "updated")
TRANSACTION_STREAMS = ("lines", "customer", "time", "hour", "second", "channel", "payment", "store", "product",
                       "quantity", "discount_zero", "discount")


def make_stores(start: int, n: int, plan: Plan) -> pl.DataFrame:
    rng = streams(plan.seed, STORE_SALT, start, STORE_STREAMS)
    store_id = np.arange(start, start + n, dtype=np.int64) + FIRST_ID["stores"]
    places = draw_us_places(plan.pools.places, rng["place"], n)
    formats = weighted_pool(STORE_FORMATS)
    return pl.DataFrame(
        {
            "store_id": store_id,
            "format": formats.gather(rng["format"].integers(0, formats.len(), n)),
            "opened_date": uniform_days(rng["opened"], *Calendar(plan.season.first, plan.season.last).opened, n),
        }
    ).hstack(places).select(
        "store_id",
        pl.concat_str(pl.col("city"), pl.lit(" #"), pl.col("store_id").cast(pl.String).str.zfill(4)).alias("name"),
        "format", "city", "state", "postal_code", "region", "opened_date",
    )


def make_customers(start: int, n: int, plan: Plan) -> pl.DataFrame:
    rng = streams(plan.seed, CUSTOMER_SALT, start, CUSTOMER_STREAMS)
    pools = plan.pools
    signup_day = signup_days(plan, start, n)
    customer_id = pl.Series("customer_id", np.arange(start, start + n, dtype=np.int64) + FIRST_ID["customers"])
    first = rng["first"].integers(0, pools.first_names.len(), n)
    last = rng["last"].integers(0, pools.last_names.len(), n)
    area_code = rng["phone"].integers(PHONE_AREA_CODES.start, PHONE_AREA_CODES.stop, n)
    area_code += area_code % 100 == 11  # N11 codes (211, 411, 911 ...) are service numbers
    phone_line = rng["phone"].integers(0, 100, n)
    street = rng["street"].integers(0, pools.street_addresses.len(), n)
    lifetime_value = rng["lifetime_value"].gamma(LIFETIME_VALUE_SHAPE, LIFETIME_VALUE_SCALE, n)
    lifetime_cents = np.round(lifetime_value * 100).astype(np.int64)
    # Tier by a noisy rank of the value (see TIER_VALUE_RHO): exact shares, value left as drawn.
    latent = (TIER_VALUE_RHO * gamma_normal_score(lifetime_value, LIFETIME_VALUE_SHAPE, LIFETIME_VALUE_SCALE)
              + np.sqrt(1.0 - TIER_VALUE_RHO**2) * rng["tier"].standard_normal(n))
    tier_index = tiers_by_rank(latent, LOYALTY_TIERS)
    frame = pl.DataFrame(
        {
            "customer_id": customer_id,
            "first_name": pools.first_names.gather(first),
            "last_name": pools.last_names.gather(last),
            "first_email": pools.first_email.gather(first),
            "last_email": pools.last_email.gather(last),
            "domain": pl.Series(EMAIL_DOMAINS).gather(rng["domain"].integers(0, len(EMAIL_DOMAINS), n)),
            "phone": pools.phones.gather((area_code - PHONE_AREA_CODES.start) * 100 + phone_line),
            "phone_missing": rng["phone_null"].random(n) < PHONE_NULL_RATE,
            "street_before": pools.street_parts["1"].gather(street),
            "street_has_number": pools.street_parts["2"].is_not_null().gather(street),
            "street_after": pools.street_parts["3"].gather(street),
            # House numbers skew low, as on real streets.
            "house": np.minimum(1 + rng["house"].geometric(1 / 800, n), 99_999),
            "loyalty_tier": pl.Series(list(LOYALTY_TIERS), dtype=pl.String).gather(tier_index),
            "signup_date": pl.Series(signup_day.astype(np.int32)).cast(pl.Date),
            "lifetime_value": cents_to_decimal(lifetime_cents, MONEY),
        }
    ).hstack(draw_us_places(pools.places, rng["place"], n))
    return frame.select(
        "customer_id",
        "first_name",
        "last_name",
        pl.concat_str("first_name", "last_name", separator=" ").alias("name"),
        # The customer id makes each address unique without a de-duplication pass.
        pl.concat_str(
            "first_email", pl.lit("."), "last_email", pl.col("customer_id").cast(pl.String), pl.lit("@"), "domain"
        ).alias("email"),
        pl.when(~pl.col("phone_missing")).then("phone").alias("phone"),
        # The locale's own address format, with a fresh house number per customer in place of
        # the first number Mimesis wrote (streets without one are kept as they are).
        pl.concat_str(
            "street_before",
            pl.when("street_has_number").then(pl.col("house").cast(pl.String)).otherwise(pl.lit("")),
            "street_after",
        ).alias("street_address"),
        "city",
        "state",
        "postal_code",
        "region",
        "loyalty_tier",
        "signup_date",
        "lifetime_value",
    )


def make_products(start: int, n: int, plan: Plan) -> pl.DataFrame:
    rng = streams(plan.seed, PRODUCT_SALT, start, PRODUCT_STREAMS)
    category, price_cents, _ = product_profile(plan.seed, start, n)
    categories, nouns = catalog_tables()
    # Noun rows are grouped by category: pick one uniformly inside the product's category.
    noun_counts = np.bincount(nouns["category_index"].to_numpy(), minlength=len(CATALOG))
    noun_offsets = np.concatenate([[0], np.cumsum(noun_counts)[:-1]])
    noun = noun_offsets[category] + (rng["noun"].random(n) * noun_counts[category]).astype(np.int64)
    chosen = nouns[noun]
    product_id = np.arange(start, start + n, dtype=np.int64) + FIRST_ID["products"]
    cost_cents = np.round(price_cents * rng["cost"].uniform(COST_SHARE_LOW, COST_SHARE_HIGH, n)).astype(np.int64)
    descriptors = pl.Series(PRODUCT_DESCRIPTORS)
    return pl.DataFrame(
        {
            "product_id": product_id,
            "category_code": categories["category_code"].gather(category),
            "subcategory_code": chosen["subcategory_code"],
            "brand": plan.pools.brands.gather(rng["brand"].integers(0, plan.pools.brands.len(), n)),
            "descriptor": descriptors.gather(rng["descriptor"].integers(0, descriptors.len(), n)),
            "noun": chosen["noun"],
            "category": categories["category"].gather(category),
            "subcategory": chosen["subcategory"],
            "price": cents_to_decimal(price_cents, PRICE),
            "cost": cents_to_decimal(np.maximum(cost_cents, 1), PRICE),
            "launch_date": uniform_days(rng["launch"], *Calendar(plan.season.first, plan.season.last).launch, n),
        }
    ).select(
        "product_id",
        pl.concat_str(
            "category_code", pl.lit("-"), "subcategory_code", pl.lit("-"), pl.col("product_id").cast(pl.String).str.zfill(6)
        ).alias("sku"),
        pl.concat_str("brand", "descriptor", "noun", separator=" ").alias("name"),
        "brand",
        "category",
        "subcategory",
        "price",
        "cost",
        "launch_date",
    )


def make_inventory(start: int, n: int, plan: Plan) -> pl.DataFrame:
    """Stock rows of products start..start+n-1 in every store (n x stores rows)."""
    rng = streams(plan.seed, INVENTORY_SALT, start, INVENTORY_STREAMS)
    stores = plan.rows["stores"]
    rows = n * stores
    on_hand = 1 + np.round(rng["quantity"].gamma(STOCK_SHAPE, STOCK_SCALE, rows)).astype(np.int64)
    on_hand[rng["stockout"].random(rows) < STOCKOUT_SHARE] = 0
    snapshot_first, snapshot_last = Calendar(plan.season.first, plan.season.last).snapshot
    updated_seconds = rng["updated"].integers(day_number(snapshot_first) * 86_400, (day_number(snapshot_last) + 1) * 86_400, rows)
    return pl.DataFrame(
        {
            "product_id": np.repeat(np.arange(start, start + n, dtype=np.int64) + FIRST_ID["products"], stores),
            "store_id": np.tile(np.arange(stores, dtype=np.int64) + FIRST_ID["stores"], n),
            "quantity": pl.Series(on_hand.astype(np.int32)),
            "reorder_point": rng["reorder"].integers(REORDER_POINT_LOW, REORDER_POINT_HIGH + 1, rows).astype(np.int32),
            "last_updated": pl.Series(updated_seconds * 1_000_000, dtype=pl.Int64).cast(UTC_TIMESTAMP),
        },
        schema=INVENTORY_SCHEMA,
    )


@dataclass
class Baskets:
    """The line-level draws of one chunk of transactions, shared by both tables."""
    sizes: np.ndarray  # lines per transaction
    first_line: np.ndarray  # index of each transaction's first line within the chunk
    product: np.ndarray  # product index per line
    quantity: np.ndarray
    discount_pct: np.ndarray  # whole percent off
    unit_cents: np.ndarray
    total_cents: np.ndarray


def draw_baskets(start: int, n: int, plan: Plan, rng: dict[str, np.random.Generator]) -> Baskets:
    sizes = basket_sizes(plan.seed, start, n, plan.lines_per_transaction)
    lines = int(sizes.sum())
    product = weighted_indices(plan.product_cumulative_weight, rng["product"], lines)
    quantity = np.minimum(rng["quantity"].geometric(QUANTITY_P, lines), MAX_QUANTITY)
    # Beta draws only for the discounted lines (a third of them): Beta sampling is the slow part.
    discounted = rng["discount_zero"].random(lines) >= DISCOUNT_ZERO_SHARE
    discount = rng["discount"].beta(DISCOUNT_ALPHA, DISCOUNT_BETA, int(discounted.sum()))
    discount_pct = np.zeros(lines, dtype=np.int64)
    discount_pct[discounted] = np.clip(np.round(discount * 100), 1, MAX_DISCOUNT * 100)
    unit_cents = plan.product_price_cents[product]
    # Whole cents, rounded half up: (cents * qty * (100 - pct) + 50) // 100 is exact integer math.
    total_cents = (unit_cents * quantity * (100 - discount_pct) + 50) // 100
    first_line = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    return Baskets(sizes, first_line, product, quantity, discount_pct, unit_cents, total_cents)


def make_transactions(start: int, n: int, plan: Plan) -> pl.DataFrame:
    rng = streams(plan.seed, TRANSACTION_SALT, start, TRANSACTION_STREAMS)
    baskets = draw_baskets(start, n, plan, rng)
    customer = weighted_indices(plan.customer_cumulative_weight, rng["customer"], n)
    # A day from max(signup day, window start) to the window's last day, in proportion to the
    # seasonality's day weights (uniform without it): never before signup. Then an hour from the
    # shopping-day profile and a uniform second within it.
    window_first = day_number(plan.season.first)
    first_offset = plan.customer_first_active_day[customer] - window_first
    day = window_first + seasonal_days(plan.day_cumulative, rng["time"].random(n), first_offset)
    hours = utc_hour_pool()
    hour = hours[rng["hour"].integers(0, len(hours), n)]
    second_of_day = hour * 3600 + rng["second"].integers(0, 3600, n)
    channels = weighted_pool(CHANNELS)
    channel = channels.gather(rng["channel"].integers(0, channels.len(), n))
    in_store, remote = weighted_pool(IN_STORE_PAYMENTS), weighted_pool(REMOTE_PAYMENTS)
    payment_draw = rng["payment"].random(n)
    return pl.DataFrame(
        {
            "txn_id": np.arange(start, start + n, dtype=np.int64) + FIRST_ID["transactions"],
            "customer_id": customer.astype(np.int64) + FIRST_ID["customers"],
            "product_id": baskets.product[baskets.first_line].astype(np.int64) + FIRST_ID["products"],
            # Online orders carry the store that fulfilled them.
            "store_id": rng["store"].integers(0, plan.rows["stores"], n) + FIRST_ID["stores"],
            "timestamp": pl.Series((day * 86_400 + second_of_day) * 1_000_000).cast(UTC_TIMESTAMP),
            "channel": channel,
            # Same draw, read against the channel's own mix: no cash online.
            "payment_method": in_store.gather((payment_draw * in_store.len()).astype(np.int64)).zip_with(
                channel == "In-Store", remote.gather((payment_draw * remote.len()).astype(np.int64))
            ),
            "line_count": pl.Series(baskets.sizes, dtype=pl.Int32),
            "item_count": pl.Series(np.add.reduceat(baskets.quantity, baskets.first_line), dtype=pl.Int32),
            "amount": cents_to_decimal(np.add.reduceat(baskets.total_cents, baskets.first_line), MONEY),
        },
        schema=TRANSACTIONS_SCHEMA,
    )


def make_line_items(start: int, n: int, first_line: int, plan: Plan) -> pl.DataFrame:
    """Line items of transactions start..start+n-1, from the same streams as make_transactions."""
    rng = streams(plan.seed, TRANSACTION_SALT, start, TRANSACTION_STREAMS)
    baskets = draw_baskets(start, n, plan, rng)
    lines = len(baskets.product)
    transaction = np.repeat(np.arange(n, dtype=np.int64), baskets.sizes)
    return pl.DataFrame(
        {
            "line_item_id": np.arange(first_line, first_line + lines, dtype=np.int64) + FIRST_ID["line_items"],
            "txn_id": transaction + start + FIRST_ID["transactions"],
            "line_number": pl.Series(np.arange(lines) - baskets.first_line[transaction] + 1, dtype=pl.Int32),
            "product_id": baskets.product.astype(np.int64) + FIRST_ID["products"],
            "quantity": pl.Series(baskets.quantity, dtype=pl.Int32),
            "unit_price": cents_to_decimal(baskets.unit_cents, PRICE),
            "discount": cents_to_decimal(baskets.discount_pct, RATE),
            "line_total": cents_to_decimal(baskets.total_cents, MONEY),
        },
        schema=LINE_ITEMS_SCHEMA,
    )


def table_chunks(table: str, plan: Plan) -> list[Callable[[], pl.DataFrame]]:
    """Zero-argument chunk producers for write_table, in row order."""
    if table == "inventory":
        # Chunks of whole products, about CHUNK_ROWS inventory rows each.
        per_chunk = max(1, CHUNK_ROWS // plan.rows["stores"])
        return [partial(make_inventory, start, n, plan) for start, n in chunk_bounds(plan.rows["products"], per_chunk)]
    if table == "transactions":
        return [partial(make_transactions, start, n, plan) for start, n, _ in plan.line_chunks]
    if table == "line_items":
        return [partial(make_line_items, start, n, first, plan) for start, n, first in plan.line_chunks]
    make = {"stores": make_stores, "customers": make_customers, "products": make_products}[table]
    return [partial(make, start, n, plan) for start, n in chunk_bounds(plan.rows[table])]


# ---------------------------------------------------------------------------------------------
# Output helpers (copied verbatim from scripts/utils/local_output.py)
# ---------------------------------------------------------------------------------------------
FORMATS = ("parquet", "csv", "json", "delta")


# One million rows per chunk: large enough for Polars to parallelise each column, small enough
# that a chunk of the widest table stays well under 1 GiB. Chunk size is part of the
# reproducibility contract: changing it changes the data a seed produces.
CHUNK_ROWS = 1_000_000


def table_path(directory: Path, table: str, fmt: str) -> Path:
    """Where a table lands: DIR/<table>.<fmt> for files, DIR/<table>/ for Delta."""
    return directory / table if fmt == "delta" else directory / f"{table}.{fmt}"


def chunk_bounds(rows: int, chunk_rows: int = CHUNK_ROWS) -> list[tuple[int, int]]:
    """(first row, row count) of each chunk; an empty table still gets one empty chunk."""
    return [(start, min(chunk_rows, rows - start)) for start in range(0, rows, chunk_rows)] or [(0, 0)]


def _path_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_table(
    directory: Path,
    table: str,
    fmt: str,
    chunks: Iterable[Callable[[], pl.DataFrame]],
    schema: dict[str, pl.DataType],
) -> dict:
    """Write one table from its chunks, atomically, and return its rows, file name and bytes.

    ``chunks`` are zero-argument functions, each returning the next slice of the table (build
    them with ``functools.partial(make_table, start, n)`` over ``chunk_bounds``). They are called
    lazily, in order, so only a chunk or two is in memory at a time; a chunk may hold any number
    of rows (line items per transaction chunk, say). ``schema`` is the table's Polars schema
    (the generator's copy of its contract); every chunk is checked against it.
    """
    final = table_path(directory, table, fmt)
    # The table is written inside a private staging folder next to its final place (same file
    # system, so the swap is a rename). Removing the folder on failure also defeats a writer
    # thread that is still flushing when the error arrives: it cannot recreate a file there.
    staging = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    _remove(staging)
    staging.mkdir()
    temporary = staging / final.name
    heights: list[int] = []

    failures: list[BaseException] = []

    def counted(make_chunk: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        try:
            frame = make_chunk()
        except BaseException as error:  # remembered: deltalake re-raises it as a DeltaError
            failures.append(error)
            raise
        heights.append(frame.height)
        return frame

    try:
        if fmt == "delta":
            import pyarrow as pa
            from deltalake import write_deltalake

            arrow_schema = pl.DataFrame(schema=schema).to_arrow().schema
            batches = (
                batch
                for make_chunk in chunks
                for batch in counted(make_chunk).to_arrow().cast(arrow_schema).to_batches()
            )
            write_deltalake(temporary, pa.RecordBatchReader.from_batches(arrow_schema, batches))
        else:
            frame = pl.concat(
                [pl.defer(partial(counted, make_chunk), schema=schema) for make_chunk in chunks]
                or [pl.LazyFrame(schema=schema)]
            )
            if fmt == "parquet":
                frame.sink_parquet(temporary, compression="zstd")
            elif fmt == "csv":
                frame.sink_csv(temporary)
            elif fmt == "json":
                frame.sink_ndjson(temporary, check_extension=False)
            else:
                raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        # Swap in: a file is replaced in one step; a Delta folder in two renames, the old one
        # moved aside first so that a failure between them leaves it recoverable, never mixed.
        if final.is_dir() and not final.is_symlink():
            aside = final.with_name(f".{final.name}.old-{os.getpid()}")
            _remove(aside)
            os.rename(final, aside)
            os.rename(temporary, final)
            _remove(aside)
        else:
            os.replace(temporary, final)
    except BaseException as error:
        _remove(staging)
        if failures and failures[0] is not error:
            raise failures[0] from error
        raise
    _remove(staging)
    return {"rows": sum(heights), "path": final.name, "bytes": _path_bytes(final)}


def write_manifest(directory: Path, manifest: dict) -> Path:
    """Write DIR/_manifest.json atomically; call it after every table is written."""

    def readable(value):
        # What json cannot write itself, as data another tool can read: dataclasses (a parsed
        # --campaign, say) as objects, dates as ISO 8601, anything else as its text.
        if hasattr(value, "__dataclass_fields__"):
            return {name: getattr(value, name) for name in value.__dataclass_fields__}
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value)

    final = directory / "_manifest.json"
    temporary = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    temporary.write_text(json.dumps(manifest, indent=2, default=readable) + "\n")
    os.replace(temporary, final)
    return final


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose upgrades can change the values a seed produces."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": sys.version.split()[0]}
    for package in ("polars", "numpy", "mimesis", "deltalake"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            pass
    return versions


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (underscores allowed: 1_000_000)."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: a whole number of at least 0."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def parse_arguments(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line, or use the defaults when pasted into a notebook.

    A notebook kernel's own argv (``-f kernel.json``) is not ours to parse: in a Jupyter or
    Databricks notebook, call ``main(["--rows", "5000"])`` to pass options.
    """
    if argv is None and "ipykernel" in sys.modules:
        argv = []
    return parser.parse_args(argv)


def prepare_output_dir(parser: argparse.ArgumentParser, directory: Path) -> Path:
    """Create the output folder, or stop with a clear message when it cannot be used."""
    if directory.exists() and not directory.is_dir():
        parser.error(f"--output {directory} is a file, not a folder")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as error:
        parser.error(f"--output {directory} cannot be written: {error.strerror or error}")
    return directory


def progress(message: str) -> None:
    """Progress goes to stderr so stdout carries only the JSON summary."""
    print(message, file=sys.stderr, flush=True)


def timed(label: str, action: Callable[[], dict]) -> dict:
    """Run one table's generate-and-write step, report it, and add its seconds."""
    started = time.perf_counter()
    result = action()
    result["seconds"] = round(time.perf_counter() - started, 3)
    progress(f"  {label}: {result['rows']:,} rows in {result['seconds']:.2f}s")
    return result


# ---------------------------------------------------------------------------------------------
# Window and seasonality (copied verbatim from scripts/utils/seasonality.py)
# ---------------------------------------------------------------------------------------------
# Preset: (monthly weights January..December, weekday weights Monday..Sunday, what it models).
# Illustrative shapes, not measurements of any one business: say so when a demo relies on them.
SEASONALITY_PRESETS = {
    "none": ((1,) * 12, (1,) * 7, "flat: every day alike"),
    "retail": (
        (0.85, 0.85, 0.95, 0.95, 1.0, 0.95, 0.95, 1.0, 0.9, 0.95, 1.2, 1.45),
        (0.85, 0.85, 0.9, 0.95, 1.1, 1.3, 1.05),
        "holiday peak in November and December, quiet January and February; Saturday busiest",
    ),
    "healthcare": (
        (1.1, 1.05, 1.02, 0.98, 0.97, 0.93, 0.92, 0.97, 1.0, 1.02, 1.0, 1.04),
        (1.15, 1.05, 1.0, 1.0, 0.95, 0.5, 0.45),
        "winter respiratory season, summer dip; Monday busiest, weekends light",
    ),
    "financial": (
        (0.95, 0.92, 1.0, 1.0, 1.0, 0.98, 1.0, 1.0, 0.97, 1.0, 1.05, 1.13),
        (1.1, 1.05, 1.05, 1.05, 1.15, 0.6, 0.45),
        "December spending, payday Fridays, quiet weekends",
    ),
    "weekday": (
        (1, 1, 1, 1, 1, 1, 1, 0.9, 1, 1, 1, 0.85),
        (1, 1, 1, 1, 1, 0.2, 0.1),
        "office hours business: weekends near zero, August and December holidays",
    ),
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Campaign:
    name: str
    first: date
    last: date
    multiplier: float


@dataclass(frozen=True)
class Season:
    """The window and the weights its event days are drawn with."""

    first: date
    last: date
    preset: str = "none"
    monthly: tuple[float, ...] = (1.0,) * 12
    weekday: tuple[float, ...] = (1.0,) * 7
    campaigns: tuple[Campaign, ...] = ()

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def flat(self) -> bool:
        return len(set(self.monthly)) == 1 and len(set(self.weekday)) == 1 and not self.campaigns

    def cumulative(self) -> np.ndarray:
        """Running sum of the day weights, one entry per day of the window."""
        return np.cumsum(day_weights(self.first, self.last, self.monthly, self.weekday, self.campaigns))


def iso_day(text: str) -> date:
    """argparse type: a calendar day YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def weight(text: str) -> float:
    """argparse type: a weight of 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number of 0 or more, got {text!r}")
    return value


def campaign(text: str) -> Campaign:
    """argparse type: [NAME=]START:END:MULTIPLIER, e.g. black-friday=2024-11-29:2024-12-02:3."""
    name, equals, spec = text.partition("=")
    if not equals:
        name, spec = "", text
    parts = spec.split(":")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"expected [NAME=]START:END:MULTIPLIER (e.g. 2024-11-29:2024-12-02:3), got {text!r}")
    first, last = iso_day(parts[0]), iso_day(parts[1])
    if last < first:
        raise argparse.ArgumentTypeError(f"campaign {text!r} ends before it starts")
    return Campaign(name.strip() or f"{first}..{last}", first, last, weight(parts[2]))


def add_window_arguments(parser: argparse.ArgumentParser, start: date, end: date | None, events: str,
                         end_help: str = "") -> None:
    parser.add_argument("--start", type=iso_day, default=start, metavar="YYYY-MM-DD",
                        help=f"first day of the {events} window, UTC (default {start})")
    parser.add_argument("--end", type=iso_day, default=end, metavar="YYYY-MM-DD",
                        help=end_help or f"last day of the {events} window, inclusive (default {end})")


def add_seasonality_arguments(parser: argparse.ArgumentParser, tables: str) -> None:
    group = parser.add_argument_group(f"seasonality of {tables} (default: none, every day alike)")
    presets = "; ".join(f"{name}: {about}" for name, (_, _, about) in SEASONALITY_PRESETS.items())
    group.add_argument("--seasonality", choices=list(SEASONALITY_PRESETS), default="none", help=presets)
    group.add_argument("--monthly-weights", type=weight, nargs=12, metavar="W",
                       help="12 relative weights, January to December (replace the preset's)")
    group.add_argument("--weekday-weights", type=weight, nargs=7, metavar="W",
                       help="7 relative weights, Monday to Sunday (replace the preset's)")
    group.add_argument("--campaign", type=campaign, action="append", default=[], metavar="[NAME=]START:END:MULT",
                       help="multiply the weight of the days START..END (inclusive) by MULT; repeatable")


def window_settings(parser: argparse.ArgumentParser, args: argparse.Namespace, max_days: int | None = None) -> tuple[date, date]:
    """The window's first and last day, checked."""
    if args.end < args.start:
        parser.error(f"--end {args.end} is before --start {args.start}")
    days = (args.end - args.start).days + 1
    if max_days is not None and days > max_days:
        parser.error(f"the window --start {args.start} --end {args.end} spans {days:,} days; at most {max_days:,}")
    return args.start, args.end


def season_settings(parser: argparse.ArgumentParser, args: argparse.Namespace, first: date, last: date) -> Season:
    """The preset with the weight overrides and campaigns applied, checked against the window."""
    monthly, weekday, _ = SEASONALITY_PRESETS[args.seasonality]
    monthly = tuple(float(w) for w in (args.monthly_weights or monthly))
    weekday = tuple(float(w) for w in (args.weekday_weights or weekday))
    for each in args.campaign:
        if each.last < first or each.first > last:
            parser.error(f"--campaign {each.name} ({each.first}..{each.last}) lies outside the window {first}..{last}")
    season = Season(first, last, args.seasonality, monthly, weekday, tuple(args.campaign))
    if season.cumulative()[-1] <= 0:
        parser.error("the seasonality weights give every day of the window a weight of 0: raise some of them")
    return season


def day_weights(first: date, last: date, monthly, weekday, campaigns=()) -> np.ndarray:
    """One weight per calendar day first..last: month x weekday x covering campaigns."""
    days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    day_of_week = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    weights = np.asarray(monthly, dtype=np.float64)[month] * np.asarray(weekday, dtype=np.float64)[day_of_week]
    for each in campaigns:
        weights[(days >= np.datetime64(each.first, "D")) & (days <= np.datetime64(each.last, "D"))] *= each.multiplier
    return weights


def weight_from(cumulative: np.ndarray, lowest: np.ndarray | int) -> np.ndarray:
    """The day weight from each row's ``lowest`` offset to the window's end: how much of the
    window a customer who joined then can still act in (its days, without seasonality)."""
    lowest = np.asarray(lowest, dtype=np.int64)
    if len(cumulative) == 0:
        return np.zeros(lowest.shape)
    return cumulative[-1] - np.where(lowest > 0, cumulative[np.clip(lowest - 1, 0, len(cumulative) - 1)], 0.0)


def seasonal_days(cumulative: np.ndarray, u: np.ndarray, lowest: np.ndarray | int = 0) -> np.ndarray:
    """Day offsets (0 = the window's first day) drawn in proportion to the day weights, one
    uniform ``u`` per row, never before the row's ``lowest`` offset."""
    if len(u) == 0:
        return np.zeros(0, dtype=np.int64)
    before = cumulative[-1] - weight_from(cumulative, lowest)
    target = before + u * (cumulative[-1] - before)
    return np.minimum(np.searchsorted(cumulative, target, side="right"), len(cumulative) - 1)


def season_manifest(season: Season, tables: list[str]) -> dict:
    """What _manifest.json records about the window and its seasonality."""
    return {
        "start": season.first.isoformat(),
        "end": season.last.isoformat(),
        "seasonality": {
            "preset": season.preset,
            "monthly_weights": list(season.monthly),
            "weekday_weights": list(season.weekday),
            "campaigns": [{"name": c.name, "start": c.first.isoformat(), "end": c.last.isoformat(), "multiplier": c.multiplier}
                          for c in season.campaigns],
            "applies_to": tables,
        },
    }


# ---------------------------------------------------------------------------------------------
# Data-quality injection (copied verbatim from scripts/utils/quality.py)
# ---------------------------------------------------------------------------------------------
QUALITY_SALT = 9_001  # keeps injection streams apart from every table's own streams
LATE_GAP_DAYS = 1  # late rows start one day after the window ends (clear of local-time spill-over)
LATE_SPAN_DAYS = 7  # and fall within the week after that
MAX_DUPLICATE_RATE = 0.5  # above one copy per original row the table is more copy than data
MICROS_PER_DAY = 86_400_000_000


@dataclass
class Quality:
    """The run's injection settings and what was injected (filled in as chunks are written)."""

    seed: int
    nulls: dict[str, dict[str, float]] = field(default_factory=dict)  # table -> column -> rate
    duplicate_rate: float = 0.0
    duplicate_tables: tuple[str, ...] = ()
    late_rate: float = 0.0
    late_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # table -> event time first
    window_us: tuple[int, int] = (0, 1)  # the run's window [start, end) in UTC microseconds
    injected: dict[str, list[dict]] = field(default_factory=dict)  # table -> one record per chunk

    def active(self, table: str) -> bool:
        return bool(
            self.nulls.get(table)
            or (self.duplicate_rate and table in self.duplicate_tables)
            or (self.late_rate and table in self.late_columns)
        )


def null_injection(text: str) -> tuple[str, str, float]:
    """argparse type: TABLE.COLUMN=RATE, e.g. customers.email=0.05."""
    target, equals, share = text.partition("=")
    table, dot, column = target.strip().partition(".")
    if not (equals and dot and table and column):
        raise argparse.ArgumentTypeError(f"expected TABLE.COLUMN=RATE (e.g. customers.email=0.05), got {text!r}")
    try:
        value = float(share)
    except ValueError:
        raise argparse.ArgumentTypeError(f"the rate in {text!r} must be a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"the rate in {text!r} must be between 0 and 1")
    return table, column.strip(), value


def add_quality_arguments(parser: argparse.ArgumentParser, duplicate_tables: tuple[str, ...],
                          late_columns: dict[str, tuple[str, ...]]) -> None:
    """The three injection flags, with the tables each applies to in their help."""
    group = parser.add_argument_group(
        "data quality injection (all off by default; recorded in _manifest.json, reported by scripts/utils/validate.py)")
    group.add_argument("--inject-nulls", action="append", type=null_injection, default=[], metavar="TABLE.COLUMN=RATE",
                       help="null out RATE of the column's values (repeatable); key columns are refused")
    group.add_argument("--duplicate-rate", type=rate, default=0.0, metavar="RATE",
                       help=f"share of rows that are exact copies of another row, in {', '.join(duplicate_tables)} "
                       f"(at most {MAX_DUPLICATE_RATE:g}); those tables get more rows than planned")
    late = ", ".join(f"{table}.{columns[0]}" for table, columns in late_columns.items())
    group.add_argument("--late-rate", type=rate, default=0.0, metavar="RATE",
                       help=f"share of events whose timestamp ({late}) lands {LATE_GAP_DAYS} to "
                       f"{LATE_GAP_DAYS + LATE_SPAN_DAYS} days after the window ends")


def quality_settings(parser: argparse.ArgumentParser, args: argparse.Namespace, schemas: dict[str, dict],
                     keys: dict[str, tuple[str, ...]], duplicate_tables: tuple[str, ...],
                     late_columns: dict[str, tuple[str, ...]], window_us: tuple[int, int]) -> Quality:
    """Check the injection flags against the generator's tables; parser.error names what is valid."""
    nulls: dict[str, dict[str, float]] = {}
    for table, column, share in args.inject_nulls:
        if table not in schemas:
            parser.error(f"--inject-nulls {table}.{column}: no table {table!r}; tables: {', '.join(schemas)}")
        if column not in schemas[table]:
            parser.error(f"--inject-nulls {table}.{column}: {table} has no column {column!r}; "
                         f"columns: {', '.join(schemas[table])}")
        if column in keys.get(table, ()):
            allowed = [name for name in schemas[table] if name not in keys[table]]
            parser.error(f"--inject-nulls {table}.{column}: {column} is a key column (primary or foreign key of "
                         f"{table}); a null there breaks integrity, not just completeness. Choose one of: {', '.join(allowed)}")
        if column in nulls.get(table, {}):
            parser.error(f"--inject-nulls {table}.{column} is given twice: give each column once")
        nulls.setdefault(table, {})[column] = share
    if args.duplicate_rate > MAX_DUPLICATE_RATE:
        parser.error(f"--duplicate-rate must be at most {MAX_DUPLICATE_RATE:g} (one copy per original row), got {args.duplicate_rate:g}")
    return Quality(seed=args.seed, nulls=nulls, duplicate_rate=args.duplicate_rate, duplicate_tables=duplicate_tables,
                   late_rate=args.late_rate, late_columns=late_columns, window_us=window_us)


def quality_stream(seed: int, table: str, chunk: int, kind: str) -> np.random.Generator:
    """The random stream of one injection kind in one chunk of one table (crc32: stable across runs)."""
    return np.random.default_rng([seed, QUALITY_SALT, zlib.crc32(table.encode()), chunk, zlib.crc32(kind.encode())])


def late_offsets(rng: np.random.Generator, event_us: np.ndarray, late_rate: float, window_us: tuple[int, int]) -> np.ndarray:
    """Microseconds to add to each row's times: 0 on time; for late rows, what moves the event
    time t to end + gap + (t - start) x span / window length (order kept, never two on one instant)."""
    start, end = window_us
    late = rng.random(len(event_us)) < late_rate
    moved = end + LATE_GAP_DAYS * MICROS_PER_DAY + np.floor(
        (event_us - start) / (end - start) * (LATE_SPAN_DAYS * MICROS_PER_DAY)).astype(np.int64)
    return np.where(late, moved - event_us, 0)


def shift_times(frame: pl.DataFrame, columns: tuple[str, ...], offset_us: np.ndarray) -> pl.DataFrame:
    """Move each row's time columns by its offset: timestamps exactly, dates by whole days up."""
    days = -(-offset_us // MICROS_PER_DAY)
    shifted = []
    for column in columns:
        if frame.schema[column] == pl.Date:
            shifted.append((pl.col(column).cast(pl.Int32) + pl.Series(days, dtype=pl.Int32)).cast(pl.Date).alias(column))
        else:
            shifted.append((pl.col(column) + pl.Series(offset_us).cast(pl.Duration("us"))).alias(column))
    return frame.with_columns(shifted)


def inject_quality(quality: Quality, table: str, chunk: int, make_chunk: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    """One chunk with the configured dirt: late times, then nulls, then duplicate rows."""
    frame = make_chunk()
    record = {"rows": frame.height, "late": 0, "nulls": {}, "duplicates": 0}
    columns = quality.late_columns.get(table)
    if quality.late_rate and columns and frame.height:
        event_us = frame[columns[0]].dt.epoch("us").to_numpy()
        offset = late_offsets(quality_stream(quality.seed, table, chunk, "late"), event_us, quality.late_rate, quality.window_us)
        frame = shift_times(frame, columns, offset)
        record["late"] = int(np.count_nonzero(offset))
    for column, share in quality.nulls.get(table, {}).items():
        hit = quality_stream(quality.seed, table, chunk, f"nulls:{column}").random(frame.height) < share
        frame = frame.with_columns(pl.when(pl.lit(pl.Series(hit))).then(None).otherwise(pl.col(column)).alias(column))
        record["nulls"][column] = int(np.count_nonzero(hit))
    if quality.duplicate_rate and table in quality.duplicate_tables and frame.height:
        rng = quality_stream(quality.seed, table, chunk, "duplicates")
        # Copies d such that d / (n + d) = rate on average: n x rate / (1 - rate), rounded at random.
        expected = frame.height * quality.duplicate_rate / (1 - quality.duplicate_rate)
        copies = int(expected) + int(rng.random() < expected - int(expected))
        order = np.sort(np.concatenate([np.arange(frame.height), rng.integers(0, frame.height, copies)]), kind="stable")
        frame = frame[order]  # each copy right after its original
        record["duplicates"] = copies
    quality.injected.setdefault(table, []).append(record)
    return frame


def with_quality(quality: Quality, table: str, chunks: list[Callable[[], pl.DataFrame]]) -> list[Callable[[], pl.DataFrame]]:
    """The table's chunk producers, each wrapped to inject the configured dirt (unchanged if none)."""
    if not quality.active(table):
        return chunks
    return [partial(inject_quality, quality, table, index, make_chunk) for index, make_chunk in enumerate(chunks)]


def quality_manifest(quality: Quality) -> dict | None:
    """``quality_injections`` for _manifest.json (None when nothing is injected), plus the rows
    each kind touched per table."""
    config: dict = {}
    if quality.nulls:
        config["nulls"] = {f"{table}.{column}": share for table, columns in quality.nulls.items() for column, share in columns.items()}
    if quality.duplicate_rate:
        config["duplicate_rate"] = {table: quality.duplicate_rate for table in quality.duplicate_tables}
    if quality.late_rate:
        config["late_rate"] = {f"{table}.{column}": quality.late_rate
                               for table, columns in quality.late_columns.items() for column in columns}
    if not config:
        return None
    config["injected_rows"] = {
        table: {
            "duplicates": sum(r["duplicates"] for r in records),
            "late": sum(r["late"] for r in records),
            "nulls": {column: sum(r["nulls"].get(column, 0) for r in records) for column in quality.nulls.get(table, {})},
        }
        for table, records in sorted(quality.injected.items())
    }
    return config


def annotate_tables(quality: Quality, tables: dict[str, dict]) -> dict[str, dict]:
    """Add planned_rows and duplicate_rows to the summary of each table that got duplicates."""
    for table, records in quality.injected.items():
        copies = sum(r["duplicates"] for r in records)
        if copies and table in tables:
            tables[table]["planned_rows"] = tables[table]["rows"] - copies
            tables[table]["duplicate_rows"] = copies
    return tables


# The same as scripts/utils/local_output.py's rate (a test keeps the two equal); here so this file
# runs on its own.
def rate(text: str) -> float:
    """argparse type: a share between 0 and 1 (0.05 = 5%)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


# ---------------------------------------------------------------------------------------------
# Unity Catalog bridge for --catalog/--schema (copied verbatim from scripts/utils/uc_bridge.py)
# ---------------------------------------------------------------------------------------------
# --- copied verbatim from scripts/utils/uc_setup.py (tests keep it identical) ---
MAX_NAME_LENGTH = 255
# Unity Catalog refuses these in object names...
UC_FORBIDDEN = {".": "a period", " ": "a space", "/": "a forward slash"}
# ...and this tool refuses these too, so a name never needs escaping inside backticks.
TOOL_FORBIDDEN = {"`": "a backtick", "'": "a quote", '"': "a double quote", "\\": "a backslash", ";": "a semicolon"}


def check_identifier(name, kind="name"):
    """Return ``name`` if it is a safe Unity Catalog identifier, else raise ValueError saying why."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"{kind} name must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"{kind} name {name[:40]!r}… is longer than {MAX_NAME_LENGTH} characters")
    for character in name:
        if ord(character) < 0x20 or ord(character) == 0x7F:
            raise ValueError(f"{kind} name {name!r} contains a control character")
        reason = UC_FORBIDDEN.get(character) or TOOL_FORBIDDEN.get(character)
        if reason:
            raise ValueError(f"{kind} name {name!r} contains {reason}, which is not allowed")
    return name


def quote_identifier(name, kind="name"):
    """The name as one backtick-quoted SQL identifier (after check_identifier)."""
    return f"`{check_identifier(name, kind)}`"


def qualified_name(*parts):
    """`catalog`.`schema`[.`object`] from checked parts."""
    kinds = ("catalog", "schema", "object")
    return ".".join(quote_identifier(part, kind) for part, kind in zip(parts, kinds))


def catalog_exists(spark, catalog):
    check_identifier(catalog, "catalog")
    # SHOW CATALOGS, not LIKE: its pattern language treats * and | specially.
    return catalog.lower() in {row[0].lower() for row in spark.sql("SHOW CATALOGS").collect()}


# --- copied verbatim from scripts/utils/spark_session.py (tests keep it identical) ---
LOCAL_SPARK_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}
CONNECT_COMMAND = ('uv run --python 3.12 --with "databricks-connect>=16.4,<17" --with dbldatagen==0.4.0.post1 '
                   '--with jmespath --with pyparsing --with mimesis==22.2.0 {script}')
LOCAL_COMMAND = ('uv run --with "pyspark[connect]>=4.0,<4.1" --with dbldatagen==0.4.0.post1 '
                 '--with jmespath --with pyparsing --with mimesis==22.2.0 {script} --local')


def get_spark(local=False, remote=None, profile=None, app_name="databricks-data-gen"):
    """Return the Spark session to generate with (see the module docstring for the rules)."""
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "SCRIPT"
    if os.environ.get("DATABRICKS_RUNTIME_VERSION"):
        from pyspark.sql import SparkSession

        return SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()

    if local:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise SystemExit(f"error: --local needs pyspark; run: {LOCAL_COMMAND.format(script=script)}") from None
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (SparkSession.builder.master("local[*]").appName(app_name)
                   .config("spark.ui.showConsoleProgress", "false"))
        for key, value in LOCAL_SPARK_CONF.items():
            builder = builder.config(key, value)
        return builder.getOrCreate()

    remote = remote or os.environ.get("SPARK_REMOTE")
    try:
        from databricks.connect import DatabricksSession
    except ImportError:
        DatabricksSession = None
    if DatabricksSession is None and not remote:
        raise SystemExit("error: Databricks Connect is not installed in this environment; run:\n  "
                         + CONNECT_COMMAND.format(script=script)
                         + "\n(or add --local to generate on a local Spark)")
    if remote:
        if DatabricksSession is not None:
            session = DatabricksSession.builder.remote(remote).getOrCreate()
        else:
            try:
                from pyspark.sql import SparkSession
            except ImportError:
                raise SystemExit("error: --remote needs databricks-connect or pyspark[connect]; run:\n  "
                                 + CONNECT_COMMAND.format(script=script) + f" --remote {remote}") from None
            session = SparkSession.builder.remote(remote).getOrCreate()
    else:
        builder = DatabricksSession.builder
        if profile:
            from databricks.sdk.core import Config

            builder = builder.profile(profile)
            # A profile that names a cluster means "run there"; any other means serverless.
            if not Config(profile=profile).cluster_id:
                builder = builder.serverless()
        else:
            builder = builder.serverless()
        session = builder.getOrCreate()
    try:
        session.conf.set("spark.sql.session.timeZone", "UTC")
    except Exception:  # a server may refuse runtime settings; its own time zone then applies
        pass
    return session


# --- copied verbatim from scripts/utils/output.py (tests keep it identical) ---
TOOL = "databricks-data-gen"
MARKER = {"synthetic": "true", "synthetic.generator": TOOL}
SYNTHETIC_NOTE = "Synthetic data generated by databricks-data-gen; not real people or events."


class OutputError(Exception):
    """A refusal the user must act on (existing table, contract mismatch); shown without a traceback."""


def sql_string(text):
    """A Spark SQL string literal for ``text`` (comments come from contracts and may hold quotes)."""
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def table_properties(spark, full_name):
    return {row["key"]: row["value"] for row in spark.sql(f"SHOW TBLPROPERTIES {full_name}").collect()}


def created_by_this_tool(properties):
    return all(properties.get(key) == value for key, value in MARKER.items())


# --- the bridge ---
# Sizes of one createDataFrame call (one Spark Connect message). Local data above the server's
# spark.sql.session.localRelationCacheThreshold (64 MiB by default) is uploaded as an artifact and
# big messages meet gRPC limits (128 MiB), so a table goes over in slices well below both.
ROWS_PER_MESSAGE = 200_000
MAX_MESSAGE_BYTES = 32 * 2**20
UC_MODES = ("error", "overwrite")
TABLE_FORMATS = ("delta", "parquet")  # delta on Databricks; parquet on local Spark (no Delta jars there)
# What to run when this environment cannot reach Databricks: uv layers databricks-connect (which
# pins numpy<2) over the script's own environment; the Tier 1 generators give identical data on
# numpy 1.26 and 2.4 (tested).
UC_COMMAND = 'uv run --python 3.12 --with "databricks-connect>=16.4,<17" {script} {arguments}'


@dataclass
class UnityTarget:
    """Where the tables go, and the session that writes them; checked before anything is generated."""

    spark: object
    catalog: str
    schema: str
    mode: str = "error"
    table_format: str = "delta"
    replace: tuple[str, ...] = ()  # existing tables of this tool that --mode overwrite replaces


def add_unity_catalog_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "Unity Catalog (Databricks Connect): also write every table to CATALOG.SCHEMA.<table>")
    group.add_argument("--catalog", help="an existing catalog (spark_catalog on local Spark)")
    group.add_argument("--schema", help="schema in it, created if missing")
    group.add_argument("--mode", choices=UC_MODES, default="error",
                       help="error (default): refuse existing tables; overwrite: replace tables this tool created "
                       "(never others)")
    group.add_argument("--table-format", choices=TABLE_FORMATS, default="delta", help="table format (default delta)")
    group.add_argument("--profile", help="~/.databrickscfg profile (default: DEFAULT auth, serverless)")
    group.add_argument("--remote", metavar="URL", help="a Spark Connect URL instead, e.g. sc://localhost:15002")
    group.add_argument("--local", action="store_true", help="a local pyspark session instead (tries the tables locally)")


def unity_catalog_target(parser: argparse.ArgumentParser, args: argparse.Namespace, tables: list[str], script: str,
                         argv: list[str] | None = None) -> UnityTarget | None:
    """Check the Unity Catalog options and the target before any data is generated.

    None without --catalog. Otherwise opens the session (get_spark), checks that the catalog
    exists (a clear error, never a silent default), creates the schema if missing and refuses
    tables this tool did not create (and, with --mode error, any existing table).
    """
    if args.catalog is None and args.schema is None:
        return None
    if args.catalog is None or args.schema is None:
        parser.error("--catalog and --schema go together: give both")
    for name, kind in ((args.catalog, "catalog"), (args.schema, "schema"), *((table, "table") for table in tables)):
        try:
            check_identifier(name, kind)
        except ValueError as error:
            parser.error(str(error))
    if args.format not in ("parquet", "delta"):
        parser.error(f"--catalog uploads the tables written to --output: use --format parquet or delta, not {args.format}")
    if args.local and (args.remote or args.profile):
        parser.error("--local runs a local Spark: not with --remote or --profile")
    if not os.environ.get("DATABRICKS_RUNTIME_VERSION"):
        def installed(module: str) -> bool:
            try:
                return importlib.util.find_spec(module) is not None
            except ModuleNotFoundError:
                return False

        remote = args.remote or os.environ.get("SPARK_REMOTE")
        if args.local:
            usable = installed("pyspark")
        elif remote:
            usable = installed("databricks.connect") or installed("pyspark.sql.connect")
        else:
            usable = installed("databricks.connect")
        if not usable:
            try:  # this file's path from here, so the command runs as printed
                script = os.path.relpath(Path(__file__).resolve())
            except NameError:  # pasted into a notebook: the path inside the skill
                pass
            given = shlex.join(argv if argv is not None else sys.argv[1:])
            parser.error("--catalog writes over Databricks Connect, which is not installed in this environment; run:\n  "
                         + UC_COMMAND.format(script=script, arguments=given))
    spark = get_spark(local=args.local, remote=args.remote, profile=args.profile)
    if not catalog_exists(spark, args.catalog):
        parser.error(f"catalog {args.catalog!r} does not exist (or you cannot see it): create it (CREATE CATALOG, "
                     f"or scripts/utils/uc_setup.py --create-catalog) or pass an existing one with --catalog")
    try:
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS {qualified_name(args.catalog, args.schema)} COMMENT {sql_string(SYNTHETIC_NOTE)}")
    except Exception as error:  # privileges, mostly: Spark's own first line says which
        parser.error(f"cannot create schema {args.catalog}.{args.schema}: {str(error).strip().splitlines()[0]}")
    foreign, ours = [], []
    for table in tables:
        name = qualified_name(args.catalog, args.schema, table)
        if spark.catalog.tableExists(name):
            (ours if created_by_this_tool(table_properties(spark, name)) else foreign).append(table)
    where = f"{args.catalog}.{args.schema}"
    if foreign:
        parser.error(f"in {where}, {', '.join(foreign)} exist and were not created by {TOOL} (no synthetic marker): "
                     "refusing to touch them; choose another --schema, or drop them yourself")
    if ours and args.mode == "error":
        parser.error(f"in {where}, {', '.join(ours)} exist (created by {TOOL} earlier): pass --mode overwrite to "
                     "replace them, or choose another --schema")
    replace = ours
    return UnityTarget(spark, args.catalog, args.schema, args.mode, args.table_format, tuple(replace))


def spark_type_of(dtype: pl.DataType):
    """The Spark type of a Polars column type (CONTRIBUTING.md's contract type mapping)."""
    from pyspark.sql import types as T

    simple = {pl.Int64: T.LongType, pl.Int32: T.IntegerType, pl.Int16: T.ShortType, pl.Int8: T.ByteType,
              pl.Float64: T.DoubleType, pl.Float32: T.FloatType, pl.String: T.StringType,
              pl.Boolean: T.BooleanType, pl.Date: T.DateType}
    if isinstance(dtype, pl.Decimal):
        return T.DecimalType(dtype.precision, dtype.scale)
    if isinstance(dtype, pl.Datetime):
        return T.TimestampType() if dtype.time_zone else T.TimestampNTZType()
    if isinstance(dtype, (pl.List, pl.Array)):
        return T.ArrayType(spark_type_of(dtype.inner))
    for polars_type, spark_type in simple.items():
        if dtype == polars_type:
            return spark_type()
    raise ValueError(f"no Spark type for Polars {dtype}")


def spark_schema_of(schema: dict[str, pl.DataType], comments: dict[str, str] | None = None):
    """A StructType with the contract's column descriptions as column comments (every column
    nullable: --inject-nulls may empty any non-key column)."""
    from pyspark.sql import types as T

    comments = comments or {}
    return T.StructType([
        T.StructField(name, spark_type_of(dtype), True, {"comment": comments[name]} if comments.get(name) else {})
        for name, dtype in schema.items()
    ])


def contract_descriptions(industry: str, table: str) -> tuple[str | None, dict[str, str]]:
    """(table description, {column: description}) from the bundled contract, when this file sits
    in the skill (assets/schemas above it); (None, {}) when pasted elsewhere."""
    try:
        here = Path(__file__).resolve()
    except NameError:  # a notebook cell has no __file__
        return None, {}
    for folder in here.parents:
        for path in sorted((folder / "assets" / "schemas").glob(f"{industry}_*.json")):
            contract = json.loads(path.read_text())
            if contract.get("table") == table:
                return contract.get("description"), {c["name"]: c.get("description", "") for c in contract["columns"]}
    return None, {}


def table_messages(frames: Iterable[pl.DataFrame], rows_per_message: int = ROWS_PER_MESSAGE) -> Iterator[pa.Table]:
    """Arrow slices of at most rows_per_message rows and about MAX_MESSAGE_BYTES each (large
    strings and lists, not views: the Spark Connect clients cast them to the table's types)."""
    for frame in frames:
        for start in range(0, frame.height, rows_per_message):
            part = frame.slice(start, rows_per_message).to_arrow(compat_level=pl.CompatLevel.oldest())
            pieces = max(1, -(-part.nbytes // MAX_MESSAGE_BYTES))
            step = -(-part.num_rows // pieces)
            for offset in range(0, part.num_rows, step):
                yield part.slice(offset, step)


def write_unity_catalog_table(target: UnityTarget, table: str, frames: Iterable[pl.DataFrame],
                              schema: dict[str, pl.DataType], *, comment: str | None = None,
                              comments: dict[str, str] | None = None, properties: dict[str, str] | None = None,
                              rows_per_message: int = ROWS_PER_MESSAGE) -> dict:
    """Write Polars frames to CATALOG.SCHEMA.table over Spark Connect, one Arrow slice per message.

    The first message creates the table with the synthetic marker in its properties (so a table
    this tool created always carries it), the others append; when all are sent the properties get
    ``synthetic.rows`` (a table without it is an interrupted load) and the table its comment. A
    failure drops the partial table. Replacing (``target.replace``) drops the old table first.
    """
    spark, name = target.spark, qualified_name(target.catalog, target.schema, table)
    struct = spark_schema_of(schema, comments)
    marker = {**MARKER, **(properties or {})}
    rows = messages = 0
    try:
        if table in target.replace:
            spark.sql(f"DROP TABLE IF EXISTS {name}")
        for message in table_messages(frames, rows_per_message):
            frame = spark.createDataFrame(message, schema=struct)
            if messages == 0:
                writer = frame.writeTo(name).using(target.table_format)
                for key, value in marker.items():
                    writer = writer.tableProperty(key, value)
                writer.create()
            else:
                frame.write.format(target.table_format).mode("append").saveAsTable(name)
            rows, messages = rows + message.num_rows, messages + 1
        if messages == 0:  # an empty table still gets created, with its columns
            writer = spark.createDataFrame([], schema=struct).writeTo(name).using(target.table_format)
            for key, value in marker.items():
                writer = writer.tableProperty(key, value)
            writer.create()
        spark.sql(f"ALTER TABLE {name} SET TBLPROPERTIES ({sql_string('synthetic.rows')} = {sql_string(rows)})")
        described = f"{comment} {SYNTHETIC_NOTE}" if comment else SYNTHETIC_NOTE
        spark.sql(f"COMMENT ON TABLE {name} IS {sql_string(described)}")
    except Exception as error:
        try:
            spark.sql(f"DROP TABLE IF EXISTS {name}")
            left = "the partial table was dropped"
        except Exception:
            left = f"drop the partial table yourself: DROP TABLE {name}"
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise OutputError(f"writing {target.catalog}.{target.schema}.{table} failed after {messages} "
                          f"message(s), {rows:,} rows: {first_line}; {left}") from error
    return {"table": f"{target.catalog}.{target.schema}.{table}", "rows": rows, "messages": messages}


def local_table_frames(path: Path, rows_per_message: int = ROWS_PER_MESSAGE) -> Iterator[pl.DataFrame]:
    """A table written by a Tier 1 generator (parquet file or Delta folder), in record batches."""
    if path.is_dir():
        from deltalake import DeltaTable

        batches = DeltaTable(str(path)).to_pyarrow_dataset().to_batches(batch_size=rows_per_message)
    else:
        import pyarrow.parquet as pq

        batches = pq.ParquetFile(path).iter_batches(batch_size=rows_per_message)
    for batch in batches:
        yield pl.from_arrow(batch)


def publish_to_unity_catalog(target: UnityTarget, directory: Path, tables: dict[str, dict],
                             schemas: dict[str, dict[str, pl.DataType]], industry: str, seed: int, script: str,
                             rows_per_message: int = ROWS_PER_MESSAGE) -> dict:
    """Upload each table a generator just wrote to --output (parents first); returns where each went."""
    published = {}
    for table, written in tables.items():
        comment, comments = contract_descriptions(industry, table)
        frames = local_table_frames(Path(directory) / written["path"], rows_per_message)
        published[table] = write_unity_catalog_table(
            target, table, (frame.cast(schemas[table]) for frame in frames), schemas[table], comment=comment,
            comments=comments, properties={"synthetic.seed": str(seed), "synthetic.source": script},
            rows_per_message=rows_per_message)
        print(f"  {table} -> {published[table]['table']}: {published[table]['rows']:,} rows in "
              f"{published[table]['messages']} message(s)", file=sys.stderr, flush=True)
    return {"catalog": target.catalog, "schema": target.schema, "format": target.table_format, "tables": published}


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------
def lines_per_transaction_type(text: str) -> float:
    """argparse type: mean basket size, at least 1 line."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {text!r}") from None
    if not 1.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError(f"must be between 1 and 100, got {value}")
    return value


def customer_skew_type(text: str) -> float:
    """argparse type: sigma of the customers' lognormal purchase propensity, 0 to MAX_CUSTOMER_SKEW."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and {MAX_CUSTOMER_SKEW:g}, got {text!r}") from None
    if not 0.0 <= value <= MAX_CUSTOMER_SKEW:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_CUSTOMER_SKEW:g}, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from mimesis import Locale

    parser = argparse.ArgumentParser(
        prog="retail.py",
        description="Generate linked retail tables (stores, customers, products, inventory, "
        "transactions, line_items) with Polars + Mimesis.",
        epilog="Default sizes follow --rows (customers): products = rows/10 (at least 10); "
        "stores = rows/100,000 between 5 and 50; inventory = products x stores; "
        "transactions = 10 x rows; line items = about 3 per transaction. "
        "Example: uv run scripts/generators/polars/retail.py --rows 100000 --format delta",
    )
    parser.add_argument("--rows", type=positive_int, default=DEFAULT_ROWS,
                        help=f"customers, the main table; other tables follow it (default {DEFAULT_ROWS:,})")
    parser.add_argument("--products", type=positive_int, help="products (default rows/10, at least 10)")
    parser.add_argument("--stores", type=positive_int, help="stores (default rows/100,000 between 5 and 50)")
    parser.add_argument("--transactions", type=positive_int, help="transactions (default 10 x rows)")
    parser.add_argument("--lines-per-transaction", type=lines_per_transaction_type,
                        default=DEFAULT_LINES_PER_TRANSACTION,
                        help="mean line items per transaction, 1 + Poisson(mean - 1) (default 3)")
    parser.add_argument("--customer-skew", type=customer_skew_type, default=ACTIVITY_SIGMA, metavar="SIGMA",
                        help=f"how unevenly purchases spread over customers: sigma of a lognormal propensity per "
                        f"customer; 0 = every customer equally likely, {ACTIVITY_SIGMA:g} (default) = the busiest 10%% "
                        f"make about half the purchases, 2 = about 3/4 (0 to {MAX_CUSTOMER_SKEW:g})")
    parser.add_argument("--seed", type=non_negative_int, default=42, help="random seed (default 42)")
    parser.add_argument("--output", type=Path, default=Path("output") / INDUSTRY,
                        help="output folder, e.g. /Volumes/<catalog>/<schema>/<volume>/retail (default output/retail)")
    parser.add_argument("--format", choices=FORMATS, default="parquet", help="file format (default parquet; json = JSON Lines)")
    parser.add_argument("--locale", choices=[locale.value for locale in Locale], default="en", metavar="LOCALE",
                        help="Mimesis locale for names and street addresses, e.g. en, de, fr, ja (default en)")
    parser.add_argument("--dry-run", action="store_true", help="print the planned rows and estimated size; write nothing")
    add_window_arguments(parser, DEFAULT_START, DEFAULT_END, "transactions")
    add_seasonality_arguments(parser, "transactions")
    add_quality_arguments(parser, DUPLICATE_TABLES, LATE_COLUMNS)
    add_unity_catalog_arguments(parser)
    return parser


def estimated_bytes(rows: dict[str, int], fmt: str) -> dict[str, int]:
    return {table: round(count * BYTES_PER_ROW[fmt][table]) for table, count in rows.items()}


def main(argv: list[str] | None = None) -> dict:
    parser = build_parser()
    args = parse_arguments(parser, argv)
    first, last = window_settings(parser, args)
    season = season_settings(parser, args, first, last)
    window_us = (day_number(first) * 86_400_000_000, (day_number(last) + 1) * 86_400_000_000)
    quality = quality_settings(parser, args, SCHEMAS, KEY_COLUMNS, DUPLICATE_TABLES, LATE_COLUMNS, window_us)
    plan = make_plan(args.seed, args.rows, args.products, args.stores, args.transactions, args.lines_per_transaction,
                     season, args.customer_skew)
    window = season_manifest(season, ["transactions.timestamp"])
    if args.dry_run:
        sizes = estimated_bytes(plan.rows, args.format)
        report = {
            "dry_run": True,
            "output": str(args.output),
            "format": args.format,
            "seed": args.seed,
            "window": window,
            "tables": {table: {"rows": count, "estimated_bytes": sizes[table]} for table, count in plan.rows.items()},
            "estimated_bytes": sum(sizes.values()),
        }
        progress(f"retail dry run: would write {sum(plan.rows.values()):,} rows in {len(plan.rows)} tables, "
                 f"about {report['estimated_bytes'] / 2**20:,.1f} MiB of {args.format}, to {args.output}; nothing written")
        if args.catalog:
            report["unity_catalog"] = [f"{args.catalog}.{args.schema}.{table}" for table in SCHEMAS]
        print(json.dumps(report, indent=2))
        return report

    target = unity_catalog_target(parser, args, list(SCHEMAS), GENERATOR, argv)
    directory = prepare_output_dir(parser, args.output)
    started = time.perf_counter()
    progress(f"retail: {sum(plan.rows.values()):,} rows in {len(plan.rows)} tables -> {directory} ({args.format})")
    plan.pools = build_pools(args.locale, args.seed)
    load_parents(plan)
    tables = {}
    for table in SCHEMAS:  # parents before children
        chunks = with_quality(quality, table, table_chunks(table, plan))
        tables[table] = timed(table, lambda table=table, chunks=chunks: write_table(directory, table, args.format, chunks, SCHEMAS[table]))
    annotate_tables(quality, tables)
    injections = quality_manifest(quality)
    seconds = round(time.perf_counter() - started, 3)
    write_manifest(
        directory,
        {
            "generator": GENERATOR,
            "industry": INDUSTRY,
            "seed": args.seed,
            "format": args.format,
            "arguments": {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()},
            "versions": library_versions(),
            "window": window,
            "bounds": Calendar(first, last).bounds(),
            **({"quality_injections": injections} if injections else {}),
            "tables": tables,
            "seconds": seconds,
        },
    )
    summary = {"output": str(directory), "seed": args.seed, "format": args.format, "tables": tables, "seconds": seconds}
    if injections:
        summary["quality_injections"] = injections
    if target is not None:
        try:
            summary["unity_catalog"] = publish_to_unity_catalog(target, directory, tables, SCHEMAS, INDUSTRY,
                                                                args.seed, GENERATOR)
        except OutputError as error:
            parser.exit(1, f"{parser.prog}: error: {error}\n")
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
