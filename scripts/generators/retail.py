# Databricks notebook source
# MAGIC %md
# MAGIC # Retail synthetic data on Spark (dbldatagen)
# MAGIC
# MAGIC Six linked tables, the same as the Tier 1 generator `scripts/generators/polars/retail.py` and
# MAGIC conforming to `assets/schemas/retail_*.json`:
# MAGIC
# MAGIC | table | rows (default) | flag |
# MAGIC |---|---|---|
# MAGIC | stores | rows / 100,000, between 5 and 50 | `--stores` |
# MAGIC | customers | `--rows` exactly (the main entity) | `--rows` |
# MAGIC | products | rows / 10, at least 10 | `--products` |
# MAGIC | inventory | products x stores | (follows both) |
# MAGIC | transactions | 10 x rows | `--transactions` |
# MAGIC | line_items | about 3 per transaction (1 + Poisson(2)) | `--lines-per-transaction` |
# MAGIC
# MAGIC Realism, with true parameters computed in Spark SQL (no UDF, so it runs over Databricks Connect):
# MAGIC Gamma(2, 250) lifetime value and loyalty tiers 50/30/15/5 that track it (rank correlation about
# MAGIC 0.72: a noisy normal score of the value cut at fixed quantiles); city, state, ZIP and Census region drawn
# MAGIC together from a bundled US places table, weighted by population; per-category lognormal prices
# MAGIC ending in .99; a lognormal(0, 1.2) purchase propensity per customer (times the share of 2024 after
# MAGIC signup), so the busiest 10% of customers make about 47% of purchases (`--customer-skew` sets the
# MAGIC sigma; 0 = every customer alike); no purchase before its
# MAGIC customer's signup; 1 + Poisson(2) lines per basket, Geometric(0.65) quantities, 70% of lines at
# MAGIC full price and Beta(2, 8) discounts on the rest; `line_total` = quantity x unit_price x
# MAGIC (1 - discount) rounded half up to the cent, and each transaction's `amount` is exactly the sum of
# MAGIC its lines.
# MAGIC
# MAGIC **In a notebook**: Run all. The first run adds the widgets (same names and defaults as the
# MAGIC command-line options) and stops, asking where to write: fill in `catalog` and `schema` (or `output`)
# MAGIC and run again. Tier 3 (the notebook default) also writes per-customer Mimesis street addresses
# MAGIC through a `PyfuncText` UDF; `tier` = 2 gives exactly the Connect-safe data.
# MAGIC
# MAGIC **From a terminal** (Tier 2, Connect-safe):
# MAGIC
# MAGIC ```
# MAGIC uv run --python 3.12 --with "databricks-connect>=16.4,<17" --with dbldatagen==0.4.0.post1 \
# MAGIC     --with jmespath --with pyparsing --with mimesis==22.2.0 \
# MAGIC     scripts/generators/retail.py --catalog main --schema retail_demo --rows 1000000
# MAGIC uv run --with "pyspark[connect]>=4.0,<4.1" --with dbldatagen==0.4.0.post1 --with jmespath \
# MAGIC     --with pyparsing --with mimesis==22.2.0 \
# MAGIC     scripts/generators/retail.py --local --output out/retail --rows 100000
# MAGIC ```
# MAGIC
# MAGIC Same `--seed`, sizes and `--partitions` give the same data. `--help` lists every option.

# COMMAND ----------

# MAGIC %pip install dbldatagen==0.4.0.post1 jmespath pyparsing mimesis==22.2.0

# COMMAND ----------

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import math
import os
import re
import sys
import time
import unicodedata
import zlib
from datetime import date
from pathlib import Path
from statistics import NormalDist

INDUSTRY = "retail"
GENERATOR = "scripts/generators/retail.py"

# Sizes and ratios, as in Tier 1 (documented in --help and in each contract's "rows").
DEFAULT_ROWS = 10_000
PRODUCTS_PER_CUSTOMER = 0.1
MIN_PRODUCTS = 10  # enough for every category to appear in small demos
TRANSACTIONS_PER_CUSTOMER = 10
CUSTOMERS_PER_STORE = 100_000
MIN_STORES, MAX_STORES = 5, 50  # inventory is products x stores, so stores stay few by default
DEFAULT_LINES_PER_TRANSACTION = 3.0  # mean of 1 + Poisson(mean - 1): never an empty basket
# Rows per dbldatagen partition when --partitions is not given. The default depends on the
# table's size only (never on the cluster), so a seed gives the same data everywhere.
ROWS_PER_PARTITION = 500_000
MAX_PARTITIONS = 4_000

# Fixed windows, never today's date, so a seed means the same data next year.
SIGNUP_FIRST, SIGNUP_LAST = date(2020, 1, 1), date(2024, 12, 31)
WINDOW_FIRST, WINDOW_LAST = date(2024, 1, 1), date(2024, 12, 31)  # transactions, inclusive, UTC
LAUNCH_FIRST, LAUNCH_LAST = date(2015, 1, 1), date(2023, 12, 31)  # every product exists before any sale
OPENED_FIRST, OPENED_LAST = date(1995, 1, 1), date(2023, 12, 31)  # every store is open all window
SNAPSHOT_FIRST = date(2024, 12, 1)  # inventory counts were last updated in the window's last month
FIRST_ID = {"stores": 1, "customers": 1_000_000, "products": 1, "transactions": 1, "line_items": 1}

# Distributions: true parameters in output units (the contracts repeat them).
LOYALTY_TIERS = {"Bronze": 50, "Silver": 30, "Gold": 15, "Platinum": 5}
LIFETIME_VALUE_SHAPE, LIFETIME_VALUE_SCALE = 2, 250.0  # Gamma: mean $500; integer shape = sum of 2 exponentials
# The tier tracks lifetime value without being fixed by it (a Gaussian copula, as in Tier 1):
# latent = rho z + sqrt(1 - rho^2) e, z = Phi^-1(F_Gamma(value)) the value's normal score (the
# CDF of an integer-shape Gamma is closed-form), e independent N(0, 1) noise. The latent is exactly
# N(0, 1), so fixed cut points at its 50/80/95% quantiles give 50/30/15/5 in expectation, row by
# row: ranking all customers instead would be a window over one single-partition sort. rho 0.8
# gives a Spearman rank correlation of about 0.715 between tier and value, mean values of about
# $290 / $560 / $830 / $1,230 from Bronze to Platinum, and leaves the value's Gamma as it was.
TIER_VALUE_RHO = 0.8
TIER_CUT_POINTS = [NormalDist().inv_cdf(share) for share in (0.50, 0.80, 0.95)]  # cumulative LOYALTY_TIERS
# Acklam's rational approximation of the normal quantile Phi^-1 (relative error < 1.2e-9; Spark
# SQL has none): a central rational function in (p - 1/2)^2 and a tail one in sqrt(-2 ln p).
ACKLAM_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02,
            -3.066479806614716e01, 2.506628277459239e00)
ACKLAM_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01,
            -1.328068155288572e01, 1.0)
ACKLAM_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00, -2.549732539343734e00,
            4.374664141464968e00, 2.938163982698783e00)
ACKLAM_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00, 1.0)
ACKLAM_TAIL = 0.02425  # below this tail probability the tail formula applies
PHONE_NULL_RATE = 0.05  # customers who gave no phone number
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # RFC 2606: no real mailbox
HOUSE_NUMBER_P = 1 / 800  # house numbers ~ 1 + Geometric(1/800): they skew low, as on real streets
MAX_HOUSE_NUMBER = 99_999
# Per-customer purchase propensity ~ lognormal(0, sigma), times the share of 2024 after signup.
# With sigma 1.2 the top 10% of customers hold 1 - Phi(1.2816 - 1.2) = 47% of the weight.
# --customer-skew sets sigma (0: every customer alike; 2: the top 10% hold 76%).
ACTIVITY_SIGMA = 1.2
MAX_CUSTOMER_SKEW = 4.0  # sigma 4: the top 10% hold 99.7% of the weight; more says nothing new
POPULARITY_SIGMA = 1.0  # product popularity ~ lognormal(0, 1.0): the top 10% of products take ~39% of lines
QUANTITY_P = 0.65  # quantity ~ Geometric(0.65): 65% of lines are a single unit
MAX_QUANTITY = 12
DISCOUNT_ZERO_SHARE = 0.70  # most lines sell at full price
DISCOUNT_ALPHA, DISCOUNT_BETA = 2, 8  # discounted lines: Beta(2, 8), mean 20% off; integer shapes = Gamma sums
MAX_DISCOUNT_PCT = 90
# Share of purchases by local hour (0..23) of a US shopping day; timestamps are UTC, the profile
# sits at Eastern time (UTC-5) and wraps within the same UTC day.
LOCAL_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 12, 12, 11, 11, 12, 13, 13, 12, 10, 7, 4, 2)
UTC_OFFSET_HOURS = -5
CHANNELS = {"In-Store": 60, "Online": 30, "Mobile App": 10}
IN_STORE_PAYMENTS = {"Credit Card": 40, "Debit Card": 30, "Cash": 15, "Digital Wallet": 12, "Gift Card": 3}
REMOTE_PAYMENTS = {"Credit Card": 55, "Debit Card": 20, "Digital Wallet": 20, "Gift Card": 5}
STORE_FORMATS = {"Standard": 60, "Express": 25, "Outlet": 10, "Flagship": 5}
COST_SHARE_LOW, COST_SHARE_HIGH = 0.35, 0.70  # unit cost as a share of price (gross margin 30-65%)
STOCKOUT_SHARE = 0.04  # inventory rows with nothing on hand
STOCK_SHAPE, STOCK_SCALE = 2, 25.0  # units on hand when in stock: 1 + Gamma(2, 25), mean ~51
REORDER_POINT_LOW, REORDER_POINT_HIGH = 5, 25
MIN_PRICE_CENTS, MAX_PRICE_CENTS = 99, 499_999

# Category: (catalogue share %, median price USD, sigma of log price, subcategories).
# Subcategory: (SKU code, product nouns). The same catalogue as Tier 1.
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

# Prefix sums (line_item_id, cumulative purchase weights) run per block of this many ids: one
# window per block, blocks stitched together by offsets collected on the driver (a few numbers).
BLOCK_ROWS = 1 << 20
# Weights become integers in these units so cumulative sums are exact (no float drift at 1e9 rows).
WEIGHT_UNITS = 1_000_000
BROADCAST_ROWS = 500_000  # weighted-choice tables of up to this many rows are broadcast, not shuffled

# COMMAND ----------

# The table contracts (assets/schemas/retail_*.json): column order, Spark type, nullability and
# the comments a Unity Catalog table gets. Copied here so the notebook needs no other file;
# tests/test_spark_retail.py keeps this copy equal to the JSON files.
CONTRACTS = {
    'stores': (
        'Physical stores: in-store sales happen there and online orders are fulfilled from there; every store lists every product in inventory. Stores opened before the transaction window.',
        [
            ('store_id', 'bigint', False, 'Surrogate key, sequential from 1.'),
            ('name', 'string', False, "Store name: city and zero-padded store number, e.g. 'Houston #0012'."),
            ('format', 'string', False, 'Store format.'),
            ('city', 'string', False, 'City of the store; agrees with state and postal_code (drawn together from the bundled US places table, weighted by population).'),
            ('state', 'string', False, 'Two-letter US state code of the city (50 states and DC).'),
            ('postal_code', 'string', False, "Five-digit ZIP code inside the city's range of standard ZIP codes, so its three-digit prefix belongs to the city."),
            ('region', 'string', False, 'US Census region of the state.'),
            ('opened_date', 'date', False, 'Date the store opened; before the 2024 transaction window.'),
        ],
    ),
    'customers': (
        'Retail shoppers: names and street addresses from the chosen Mimesis locale, a US city/state/ZIP/region that agree (bundled US places table, all locales), unique reserved-domain emails, fictional 555-01XX phones, a signup date, a Gamma-distributed lifetime value and a loyalty tier (50/30/15/5) that tracks it.',
        [
            ('customer_id', 'bigint', False, 'Surrogate key, sequential from 1000000.'),
            ('first_name', 'string', False, "Given name from the chosen locale's Mimesis name list."),
            ('last_name', 'string', False, "Family name from the chosen locale's Mimesis name list."),
            ('name', 'string', False, 'Full name, first_name and last_name joined by a space.'),
            ('email', 'string', False, "first.last (ASCII letters of the name; 'customer' when the locale's script has none) plus the customer_id, on an RFC 2606 reserved domain so no mail can reach a real person; unique because the id is."),
            ('phone', 'string', True, 'US phone number in the 555-0100..555-0199 range reserved for fiction.'),
            ('street_address', 'string', False, "House number and street in the chosen locale's own format (Mimesis street data, e.g. '3027 Ralston Row' for en); the house number skews low."),
            ('city', 'string', False, 'City of the customer; agrees with state and postal_code (drawn together from the bundled US places table, weighted by population).'),
            ('state', 'string', False, 'Two-letter US state code of the city (50 states and DC).'),
            ('postal_code', 'string', False, "Five-digit ZIP code inside the city's range of standard ZIP codes, so its three-digit prefix belongs to the city."),
            ('region', 'string', False, 'US Census region of the state.'),
            ('loyalty_tier', 'string', False, "Loyalty programme tier; tracks lifetime_value (Spearman rank correlation ≈ 0.72; mean value about $290 Bronze, $560 Silver, $830 Gold, $1,230 Platinum) without being fixed by it: latent = 0.8 z + 0.6 e, z the value's normal score and e independent N(0, 1) noise, cut at its 50/80/95% quantiles (Tier 1: ranked within each chunk, shares exact; Spark: fixed N(0, 1) cut points, shares in expectation)."),
            ('signup_date', 'date', False, 'Date the customer joined, uniform over 2020-01-01..2024-12-31. No transaction of the customer is earlier.'),
            ('lifetime_value', 'decimal(12,2)', False, "Spend before this data's transaction window in USD, right-skewed (Gamma), drawn first; loyalty_tier follows it (rank correlation ≈ 0.72) without changing its distribution. Not recomputed from the transactions table."),
        ],
    ),
    'products': (
        'Product catalogue: eight categories with their own lognormal price levels, charm prices ending in .99, cost 35-70% of price, invented brands, unique SKUs; every product launched before the transaction window.',
        [
            ('product_id', 'bigint', False, 'Surrogate key, sequential from 1.'),
            ('sku', 'string', False, "Stock-keeping unit: category code, subcategory code and the zero-padded product_id, e.g. 'ELE-AUD-000042'."),
            ('name', 'string', False, "Brand, descriptor and product noun of the subcategory, e.g. 'Hickman Goods Premium Camera Bag'."),
            ('brand', 'string', False, "Invented brand: an English surname plus an optional suffix ('& Co.', 'Goods', 'Labs' ...)."),
            ('category', 'string', False, 'Top-level category, weighted by share of the catalogue.'),
            ('subcategory', 'string', False, "Subcategory within the category, uniform among the category's subcategories."),
            ('price', 'decimal(10,2)', False, 'List price in USD: lognormal per category, rounded up to the next dollar minus one cent (x.99), clipped to 0.99..4999.99.'),
            ('cost', 'decimal(10,2)', False, 'Unit cost in USD: price times a uniform 0.35..0.70 share, rounded to the cent; always below price.'),
            ('launch_date', 'date', False, 'Date the product was launched; before the 2024 transaction window, so no sale precedes it.'),
        ],
    ),
    'inventory': (
        'End-of-window stock snapshot: one row per store and product (every store lists every product), with units on hand (4% out of stock), a reorder point and the time the count was last updated.',
        [
            ('product_id', 'bigint', False, 'The product stocked.'),
            ('store_id', 'bigint', False, 'The store holding the stock.'),
            ('quantity', 'int', False, 'Units on hand: 0 for 4% of rows (out of stock), otherwise 1 + Gamma(2, 25) rounded (mean about 51).'),
            ('reorder_point', 'int', False, 'Units on hand at which the store reorders, uniform 5..25.'),
            ('last_updated', 'timestamp', False, "When the count was last updated (UTC), uniform over the window's last month."),
        ],
    ),
    'transactions': (
        "Purchases in 2024 (UTC): heavy-tailed customer activity, never before the customer's signup date, channel and payment method, store, and an amount that is exactly the sum of the transaction's line items.",
        [
            ('txn_id', 'bigint', False, 'Surrogate key, sequential from 1 (not in time order).'),
            ('customer_id', 'bigint', False, "Buyer. Drawn in proportion to a per-customer lognormal(0, sigma) propensity times the share of 2024 after the customer's signup; sigma is --customer-skew (default 1.2, 0 = every customer alike). At 1.2 the busiest 10% of customers hold 1 - Φ(1.2816 - 1.2) = 47% of the weight (76% at sigma 2), so they make nearly half of the purchases and many customers make none."),
            ('product_id', 'bigint', False, "The product of the first line item (line_number 1): the spec's single-product view of a basket."),
            ('store_id', 'bigint', False, 'Store of an in-store sale, or the store that fulfilled an online or app order; uniform over stores.'),
            ('timestamp', 'timestamp', False, "Time of purchase (UTC), whole seconds: a uniform day from the customer's signup date (or 2024-01-01) to 2024-12-31, an hour from a US shopping-day profile (local peak noon-8pm, Eastern time = UTC-5) and a uniform minute and second. Never before the customer's signup_date."),
            ('channel', 'string', False, 'Where the purchase was made.'),
            ('payment_method', 'string', False, 'Payment method; its mix depends on the channel (in-store: credit 40, debit 30, cash 15, wallet 12, gift card 3; online and app: credit 55, debit 20, wallet 20, gift card 5, never cash).'),
            ('line_count', 'int', False, 'Number of line items: 1 + Poisson(2) (mean 3; --lines-per-transaction sets the mean).'),
            ('item_count', 'int', False, "Units bought: sum of the line items' quantity."),
            ('amount', 'decimal(12,2)', False, "Total paid in USD: exactly the sum of the transaction's line_items.line_total."),
        ],
    ),
    'line_items': (
        'Basket lines of each transaction: popular products sell more, quantity is mostly 1, most lines are at full price and the rest Beta-distributed discounts; line_total = quantity x unit_price x (1 - discount), rounded half up to the cent.',
        [
            ('line_item_id', 'bigint', False, 'Surrogate key, sequential from 1 in transaction order.'),
            ('txn_id', 'bigint', False, 'The transaction this line belongs to.'),
            ('line_number', 'int', False, 'Position of the line in its transaction, from 1.'),
            ('product_id', 'bigint', False, 'Product sold, drawn in proportion to a per-product lognormal(0, 1.0) popularity (the top 10% of products take about 39% of lines).'),
            ('quantity', 'int', False, 'Units: Geometric(p = 0.65) capped at 12 (P(1) = 0.65, P(2) = 0.2275, ...), so 65% of lines are a single unit.'),
            ('unit_price', 'decimal(10,2)', False, "The product's list price."),
            ('discount', 'decimal(4,2)', False, 'Share taken off the line: 0 on 70% of lines, otherwise Beta(2, 8) rounded to whole percent (1%..90%; mean 20%).'),
            ('line_total', 'decimal(12,2)', False, 'quantity x unit_price x (1 - discount), rounded half up to the cent.'),
        ],
    ),
}
WRITE_ORDER = ("stores", "customers", "products", "inventory", "line_items", "transactions")

# COMMAND ----------

# US places (copied verbatim from scripts/utils/us_places.py): city, state, ZIP and region are
# drawn with one shared place index, so they always agree.
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


def us_place_columns() -> dict[str, list]:
    """``US_PLACES`` as parallel lists (one entry per city), read in SQL at one shared index."""
    region_of = {state: region for region, states in US_CENSUS_REGIONS.items() for state in states.split()}
    columns = {"city": [], "state": [], "region": [], "zip_low": [], "zip_span": [], "weight": []}
    for line in US_PLACES.splitlines():
        state, cities = line.split("|")
        for record in cities.split(";"):
            city, zip_range, thousands = record.split(",")
            low, high_suffix = zip_range.split("-")
            columns["city"].append(city)
            columns["state"].append(state)
            columns["region"].append(region_of[state])
            columns["zip_low"].append(int(low))
            columns["zip_span"].append(int(low[:3] + high_suffix) - int(low) + 1)
            columns["weight"].append(int(thousands))
    return columns

def alias_table(weights) -> tuple[list[float], list[int]]:
    """Walker's alias method (Vose's construction, exact fractions): pick a slot uniformly, keep it
    when a uniform coin is below its probability, else take its alias. One draw, any number of
    weighted values, two array lookups per row."""
    from fractions import Fraction

    n, total = len(weights), sum(weights)
    scaled = [Fraction(weight * n, total) for weight in weights]
    probability, alias = [Fraction(1)] * n, list(range(n))
    small = [i for i, p in enumerate(scaled) if p < 1]
    large = [i for i, p in enumerate(scaled) if p >= 1]
    while small and large:
        low, high = small.pop(), large.pop()
        probability[low], alias[low] = scaled[low], high
        scaled[high] += scaled[low] - 1
        (small if scaled[high] < 1 else large).append(high)
    return [float(p) for p in probability], alias


US_PLACE_ALIAS = alias_table(us_place_columns()["weight"])

# COMMAND ----------

# Session selection and column seeds (copied verbatim from scripts/utils/spark_session.py).
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


def column_seed(seed, column):
    """The randomSeed for one dbldatagen column: stable across processes, distinct per column.

    Pass it per column — ``withColumn(name, ..., random=True, randomSeed=column_seed(seed, name))``.
    dbldatagen's own choices fail here: ``randomSeed=S`` alone ("fixed") seeds every column with
    the same S, so columns with equal ranges come out equal; ``randomSeedMethod="hash_fieldname"``
    seeds each column with ``hash('<name>')`` and ignores S, so every seed gives the same data.
    (``hash`` in Python is salted per process, hence crc32.)
    """
    return zlib.crc32(f"{seed}:{column}".encode()) & 0x7FFFFFFF

# COMMAND ----------

# Value pools, built once on the driver from Mimesis (de-duplicated and sorted: set order depends
# on PYTHONHASHSEED) and handed to Spark as literals (sql_pick), so every column stays pure SQL.


def email_form(name: str, fallback: str) -> str:
    """Lower-case ASCII letters of a name (accents dropped); ``fallback`` when none are left."""
    letters = re.sub(r"[^a-z]", "", unicodedata.normalize("NFKD", name).lower())
    return letters or fallback


def split_street(address: str) -> tuple[str, str, bool]:
    """(text before the house number, text after it, whether there is one): each customer gets a
    fresh number in the locale's own address format."""
    number = re.search(r"\d+", address)
    if number is None:
        return address, "", False
    return address[: number.start()], address[number.end():], True


def build_pools(locale: str, seed: int) -> dict[str, list]:
    import random

    from mimesis import Address, Locale, Person

    person = Person(Locale(locale), seed=seed)
    address = Address(Locale(locale), seed=seed)
    # Enough draws to cover each locale's name lists (a few thousand entries at most).
    first_names = sorted({person.first_name() for _ in range(12_000)})
    last_names = sorted({person.last_name() for _ in range(8_000)})
    streets = [split_street(street) for street in sorted({address.address() for _ in range(8_000)})]
    english = Person(Locale.EN, seed=seed)
    surnames = sorted({english.last_name() for _ in range(2_000)})
    chooser = random.Random(seed)
    brands = sorted({chooser.choice(surnames) + chooser.choice(BRAND_SUFFIXES) for _ in range(BRAND_COUNT)})
    return {
        "first_names": first_names,
        "first_email": [email_form(name, "customer") for name in first_names],
        "last_names": last_names,
        "last_email": [email_form(name, "") for name in last_names],
        "street_before": [before for before, _, _ in streets],
        "street_after": [after for _, after, _ in streets],
        "street_numbered": [numbered for _, _, numbered in streets],
        "brands": brands,
    }


def catalog_columns() -> dict[str, list]:
    """The catalogue flattened: per category (index order) and per (subcategory, noun), with the
    offset and count of each category's nouns so a noun is drawn inside its category."""
    nouns = [(index, subcategory, code, noun)
             for index, (_, _, _, _, subcategories) in enumerate(CATALOG.values())
             for subcategory, (code, names) in subcategories.items()
             for noun in names]
    counts = [sum(1 for entry in nouns if entry[0] == index) for index in range(len(CATALOG))]
    return {
        "category": list(CATALOG),
        "category_code": [code for code, _, _, _, _ in CATALOG.values()],
        "share": [share for _, share, _, _, _ in CATALOG.values()],
        "median": [median for _, _, median, _, _ in CATALOG.values()],
        "sigma": [sigma for _, _, _, sigma, _ in CATALOG.values()],
        "noun_offset": [sum(counts[:index]) for index in range(len(CATALOG))],
        "noun_count": counts,
        "subcategory": [subcategory for _, subcategory, _, _ in nouns],
        "subcategory_code": [code for _, _, code, _ in nouns],
        "noun": [noun for _, _, _, noun in nouns],
    }

# COMMAND ----------

# Tier 3 text: Mimesis through dbldatagen's PyfuncText (copied verbatim from
# scripts/utils/mimesis_text.py). A UDF: needs Mimesis where Spark runs Python, so Tier 2 never uses it.
SAFE_DEFAULTS = {
    "person.email": {"domains": ["example.com", "example.net", "example.org"]},
}


def _provider_class(provider_name):
    import mimesis

    providers = {name.lower(): getattr(mimesis, name) for name in mimesis.__all__
                 if isinstance(getattr(mimesis, name, None), type)
                 and issubclass(getattr(mimesis, name), mimesis.BaseProvider)
                 and name not in ("BaseProvider", "BaseDataProvider", "Generic")}
    found = providers.get(provider_name.lower())
    if found is None:
        raise ValueError(f"unknown Mimesis provider {provider_name!r}; one of: {', '.join(sorted(providers))}")
    return found


def _row_seed(seed, salt, value):
    # Stable across processes and platforms (Python's hash() of a str is salted per process).
    digest = hashlib.blake2b(f"{seed}:{salt}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def mimesis_text(method, *, seed, locale="en", **method_arguments):
    """A dbldatagen text generator calling Mimesis ``provider.method`` (e.g. ``"address.city"``).

    ``method_arguments`` go to the Mimesis method (``mimesis_text("text.sentence", seed=1)``,
    ``mimesis_text("person.email", seed=1, unique=False)``). Raises ValueError at once for an
    unknown provider, method or locale, not later inside a Spark task.
    """
    import mimesis
    from dbldatagen import PyfuncTextFactory

    provider_name, _, method_name = method.partition(".")
    provider_class = _provider_class(provider_name)
    if not method_name or not callable(getattr(provider_class, method_name, None)):
        raise ValueError(f"Mimesis {provider_class.__name__} has no method {method_name!r}")
    localized = issubclass(provider_class, mimesis.BaseDataProvider)
    if localized:
        try:
            mimesis.Locale(locale)
        except ValueError:
            raise ValueError(f"unknown Mimesis locale {locale!r}") from None
    arguments = {**SAFE_DEFAULTS.get(f"{provider_class.__name__.lower()}.{method_name}", {}), **method_arguments}
    salt = f"{provider_class.__name__}.{method_name}"

    def initialise(context):
        import mimesis as worker_mimesis

        options = {"locale": worker_mimesis.Locale(locale)} if localized else {}
        context.provider = provider_class(seed=seed, **options)
        context.method = getattr(context.provider, method_name)

    def generate(context, value):
        if value is None:
            return None
        context.provider.reseed(_row_seed(seed, salt, value))
        return str(context.method(**arguments))

    return PyfuncTextFactory(name=f"MimesisText({salt})").withInit(initialise)(generate)

# COMMAND ----------

# Unity Catalog names, SQL literals and the marked, commented table writer (copied verbatim from
# scripts/utils/output.py and scripts/utils/uc_setup.py; tests keep the copies identical).
TOOL = "databricks-data-gen"
MARKER = {"synthetic": "true", "synthetic.generator": TOOL}
MODES = ("error", "overwrite", "append")
SYNTHETIC_NOTE = "Synthetic data generated by databricks-data-gen; not real people or events."
MAX_NAME_LENGTH = 255
UC_FORBIDDEN = {".": "a period", " ": "a space", "/": "a forward slash"}
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


class OutputError(Exception):
    """A refusal the user must act on (existing table, contract mismatch); shown without a traceback."""


def sql_string(text):
    """A Spark SQL string literal for ``text`` (comments come from contracts and may hold quotes)."""
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def contract_mismatches(df, contract):
    """Differences between the frame's columns and the contract's (names, order-insensitive, and types)."""
    wanted = {column["name"]: column["type"].replace(" ", "").lower() for column in contract["columns"]}
    actual = {field.name: field.dataType.simpleString().lower() for field in df.schema.fields}
    problems = [f"missing column {name}" for name in wanted if name not in actual]
    problems += [f"unexpected column {name}" for name in actual if name not in wanted]
    problems += [f"column {name} is {actual[name]}, contract says {wanted[name]}"
                 for name in wanted if name in actual and actual[name] != wanted[name]]
    return problems


def table_properties(spark, full_name):
    return {row["key"]: row["value"] for row in spark.sql(f"SHOW TBLPROPERTIES {full_name}").collect()}


def created_by_this_tool(properties):
    return all(properties.get(key) == value for key, value in MARKER.items())


def write_table(df, catalog, schema, table, mode="error", fmt="delta", contract=None, comment=None,
                seed=None, require_contract_columns=True):
    """Write ``df`` as ``catalog.schema.table`` with comments and the synthetic marker (see module doc)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    full_name = qualified_name(catalog, schema, table)
    if contract is not None and require_contract_columns:
        problems = contract_mismatches(df, contract)
        if problems:
            raise OutputError(f"{full_name} does not match its contract: " + "; ".join(problems))
    spark = df.sparkSession
    exists = spark.catalog.tableExists(full_name)
    if exists:
        if not created_by_this_tool(table_properties(spark, full_name)):
            raise OutputError(f"{full_name} exists and was not created by {TOOL} (no synthetic marker): "
                              f"refusing to touch it; write to another schema or table, or drop it yourself")
        if mode == "error":
            raise OutputError(f"{full_name} exists (created by {TOOL}): pass --mode overwrite to replace it "
                              f"or --mode append to add to it")
    # "error", not "errorifexists": the Spark Connect client accepts only the short spelling.
    writer = df.write.format(fmt).mode(mode)
    if fmt == "delta" and mode == "overwrite":
        writer = writer.option("overwriteSchema", "true")
    writer.saveAsTable(full_name)

    properties = dict(MARKER)
    if seed is not None:
        properties["synthetic.seed"] = str(seed)
    assignments = ", ".join(f"{sql_string(key)} = {sql_string(value)}" for key, value in properties.items())
    spark.sql(f"ALTER TABLE {full_name} SET TBLPROPERTIES ({assignments})")
    description = comment or (contract or {}).get("description")
    table_comment = f"{description} {SYNTHETIC_NOTE}" if description else SYNTHETIC_NOTE
    spark.sql(f"COMMENT ON TABLE {full_name} IS {sql_string(table_comment)}")
    present = set(df.columns)
    for column in (contract or {}).get("columns", []):
        if column["name"] in present and column.get("description"):
            spark.sql(f"ALTER TABLE {full_name} ALTER COLUMN {quote_identifier(column['name'], 'column')} "
                      f"COMMENT {sql_string(column['description'])}")
    return {"table": f"{catalog}.{schema}.{table}", "mode": mode, "format": fmt}


COMMENT = "Synthetic data generated by databricks-data-gen"


def provisioning_statements(catalog, schema, volume=None, create_catalog=False):
    """The SQL that provisions catalog (optionally), schema and volume, in order."""
    statements = []
    if create_catalog:
        statements.append(f"CREATE CATALOG IF NOT EXISTS {qualified_name(catalog)} COMMENT '{COMMENT}'")
    statements.append(f"CREATE SCHEMA IF NOT EXISTS {qualified_name(catalog, schema)} COMMENT '{COMMENT}'")
    if volume is not None:
        statements.append(f"CREATE VOLUME IF NOT EXISTS {qualified_name(catalog, schema, volume)} COMMENT '{COMMENT}'")
    return statements


def catalog_exists(spark, catalog):
    check_identifier(catalog, "catalog")
    # SHOW CATALOGS, not LIKE: its pattern language treats * and | specially.
    return catalog.lower() in {row[0].lower() for row in spark.sql("SHOW CATALOGS").collect()}

# COMMAND ----------

# SQL building blocks. Two kinds of randomness, each with its own seed per column:
# - seeded_rand: Spark's rand(seed) inside a dbldatagen spec, evaluated right above spark.range
#   (same seed, rows and partitions -> same values);
# - hashed_uniform: a hash of row keys, for values another table must recompute (a customer's
#   signup date, a product's price) and for rows made after a join or explode, where rand()
#   would depend on row order.
TWO_POW_53 = 1 << 53


def seeded_rand(seed: int, name: str) -> str:
    """rand() with this column's own seed, in [0, 1)."""
    return f"rand({column_seed(seed, name)})"


def hashed_uniform(seed: int, name: str, *keys: str) -> str:
    """A uniform in (0, 1) that depends only on (seed, name, keys): 53 bits of xxhash64."""
    return f"((pmod(xxhash64({column_seed(seed, name)}, {', '.join(keys)}), {TWO_POW_53}) + 0.5D) / {TWO_POW_53}D)"


def hashed_below(seed: int, name: str, bound: int, *keys: str) -> str:
    """A uniform integer in [0, bound) from a hash of the keys (bound far below 2**63)."""
    return f"pmod(xxhash64({column_seed(seed, name)}, {', '.join(keys)}), {bound})"


def sql_literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return sql_string(value) if isinstance(value, str) else repr(value)


def sql_array(values) -> str:
    return "array(" + ", ".join(sql_literal(value) for value in values) + ")"


POOL_SEPARATOR = "\x1f"  # ASCII unit separator: in no name, address or label


def sql_pick(values, index: str) -> str:
    """values[index] (0-based index expression). A pool of strings travels as ONE literal, split
    once by the optimizer: thousands of separate literals make a plan slow to build (seconds per
    pool through py4j) and large over Spark Connect."""
    if all(isinstance(value, str) for value in values):
        if any(POOL_SEPARATOR in value for value in values):
            raise ValueError("a pool value contains the pool separator")
        pool = f"split({sql_string(POOL_SEPARATOR.join(values))}, {sql_string(POOL_SEPARATOR)})"
    else:
        pool = sql_array(values)
    return f"element_at({pool}, {index} + 1)"


def weighted_index(uniform: str, weights) -> str:
    """Index i with probability weights[i] / sum(weights): the cumulative weights searched by one
    uniform (a CASE, exact for integer weights). ``uniform`` is repeated in every branch, so it
    must be a column or a deterministic expression (a hash), never rand() itself."""
    total = sum(weights)
    branches, cumulative = [], 0
    for index, weight in enumerate(weights[:-1]):
        cumulative += weight
        branches.append(f"WHEN {uniform} * {total} < {cumulative} THEN {index}")
    return f"(CASE {' '.join(branches)} ELSE {len(weights) - 1} END)" if branches else "0"


def standard_normal(uniform_1: str, uniform_2: str) -> str:
    """Box-Muller: N(0, 1) from two independent uniforms in (0, 1]."""
    return f"(sqrt(-2D * ln({uniform_1})) * cos(2D * pi() * {uniform_2}))"


def gamma_integer_shape(uniforms: list[str], scale: float) -> str:
    """Gamma(k, scale) for integer k = len(uniforms): the sum of k exponentials, -scale * ln(prod u)."""
    return f"(-{scale!r}D * ln({' * '.join(uniforms)}))"


def horner(coefficients, x: str) -> str:
    """The polynomial with these coefficients (highest power first) at x (a column: repeated)."""
    expression = repr(coefficients[0])
    for coefficient in coefficients[1:]:
        expression = f"({expression} * {x} + {coefficient!r})"
    return expression


def gamma_normal_score_stages(value: str, shape: int, scale: float) -> list[dict[str, str]]:
    """Column stages (each may use the ones before) ending in ``_value_z`` = Phi^-1(F(value)) for
    Gamma(shape, scale), integer shape: P(X > x) = exp(-t) sum_{j < shape} t^j / j!, t = x / scale,
    both tails computed directly so neither loses digits; then Acklam's approximation."""
    series = " + ".join(f"pow(_value_t, {j}) / {math.factorial(j)}" for j in range(1, shape)) or "0"
    return [
        {"_value_t": f"greatest(cast({value} AS DOUBLE), 0D) / {scale!r}D"},
        {"_value_upper": f"exp(-_value_t) * (1D + {series})",
         "_value_lower": f"-expm1(-_value_t) - exp(-_value_t) * ({series})"},  # 1 - upper, exact near 0
        {"_value_tail": "least(_value_lower, _value_upper)", "_value_q": "_value_lower - 0.5D"},
        # A tail probability of 0 (a value of 0.00) would be ln(0) = NULL: floor it at 1e-300.
        {"_value_s": "sqrt(-2D * ln(greatest(_value_tail, 1e-300D)))", "_value_r": "_value_q * _value_q"},
        {"_value_z": (f"CASE WHEN _value_tail < {ACKLAM_TAIL!r}D "
                      f"THEN if(_value_lower <= _value_upper, 1D, -1D) * {horner(ACKLAM_C, '_value_s')} / {horner(ACKLAM_D, '_value_s')} "
                      f"ELSE {horner(ACKLAM_A, '_value_r')} * _value_q / {horner(ACKLAM_B, '_value_r')} END")},
    ]


def poisson_inverse_cdf(uniform: str, mean: float) -> str:
    """Poisson(mean) by inverse CDF: how many cumulative probabilities lie below the uniform."""
    if mean <= 0:
        return "0"
    cdf, term, k = [], math.exp(-mean), 0
    total = term
    while total < 1 - 1e-15 and k < 10 * mean + 50:
        cdf.append(total)
        k += 1
        term *= mean / k
        total += term
    return f"size(filter(array({', '.join(repr(p) for p in cdf)}), p -> p < {uniform}))"


def day_number(day: date) -> int:
    """Days since 1970-01-01 (Spark's DATE value)."""
    return (day - date(1970, 1, 1)).days


def signup_offset(seed: int, customer_id: str) -> str:
    """Days from SIGNUP_FIRST to the customer's signup: uniform, a pure function of the id, so
    customers and transactions compute the same date without a join."""
    days = day_number(SIGNUP_LAST) - day_number(SIGNUP_FIRST) + 1
    return f"cast({hashed_below(seed, 'customers.signup_date', days, customer_id)} AS INT)"


def line_count(seed: int, lines_per_transaction: float, txn_id: str) -> str:
    """1 + Poisson(mean - 1) lines, from a hash of the transaction id."""
    uniform = hashed_uniform(seed, "transactions.line_count", txn_id)
    return f"(1 + {poisson_inverse_cdf(uniform, lines_per_transaction - 1.0)})"


def product_category(seed: int, product_id: str) -> str:
    shares = catalog_columns()["share"]
    return weighted_index(hashed_uniform(seed, "products.category", product_id), shares)


def price_cents(seed: int, product_id: str, category: str) -> str:
    """Lognormal list price of the product's category, rounded up to the next dollar minus a cent
    (charm pricing: 12.30 -> 12.99), clipped to 0.99 .. 4,999.99. A pure function of the id."""
    catalog = catalog_columns()
    z = standard_normal(hashed_uniform(seed, "products.price.1", product_id),
                        hashed_uniform(seed, "products.price.2", product_id))
    dollars = (f"element_at(array({', '.join(map(repr, catalog['median']))}), {category} + 1)"
               f" * exp(element_at(array({', '.join(map(repr, catalog['sigma']))}), {category} + 1) * {z})")
    return f"least(greatest(ceil({dollars}) * 100 - 1, {MIN_PRICE_CENTS}), {MAX_PRICE_CENTS})"


def partitions_for(rows: int, requested: int | None) -> int:
    if requested:
        return max(1, min(requested, rows))
    return max(1, min(MAX_PARTITIONS, math.ceil(rows / ROWS_PER_PARTITION)))

# COMMAND ----------

# Building blocks on DataFrames: exact prefix sums and weighted choice by a join.


def running_total(frame, index_column: str, amount_column: str, output_column: str):
    """Add ``output_column`` = inclusive prefix sum of ``amount_column`` in ``index_column`` order
    (a dense 0-based index); return (frame, grand total). One window per block of BLOCK_ROWS ids;
    the blocks' sums are collected (a few numbers) and added back as offsets."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    block = F.expr(f"{index_column} div {BLOCK_ROWS}")
    sums = {row["block"]: row["amount"] for row in
            frame.groupBy(block.alias("block")).agg(F.sum(amount_column).alias("amount")).collect()}
    offsets, total = [], 0
    for index in range(max(sums, default=-1) + 1):
        offsets.append(total)
        total += sums.get(index, 0)
    within = Window.partitionBy(block).orderBy(index_column).rowsBetween(Window.unboundedPreceding, Window.currentRow)
    offset = F.expr(f"element_at({sql_array(offsets or [0])}, cast({index_column} div {BLOCK_ROWS} + 1 AS INT))")
    return frame.withColumn(output_column, offset + F.sum(amount_column).over(within)), total


def choice_table(frame, rows: int, index_column: str, weight_column: str, payload: list[str]):
    """Prepare a weighted choice among the ``rows`` rows of ``frame`` (integer weights >= 1).

    Each row owns the interval [hi - weight, hi) of the cumulative weights; the intervals are cut
    into about one bucket per row, so a draw finds its row by an equi-join on the bucket. Returns
    (bucket table, total weight, bucket width)."""
    from pyspark.sql import functions as F

    cumulative, total = running_total(frame, index_column, weight_column, "_hi")
    width = max(1, -(-total // max(rows, 1)))
    buckets = (cumulative
               .withColumn("_lo", F.col("_hi") - F.col(weight_column))
               .withColumn("_bucket", F.explode(F.sequence(F.expr(f"_lo div {width}"), F.expr(f"(_hi - 1) div {width}"))))
               .select("_bucket", "_lo", "_hi", *payload))
    # Small tables (products, most customer tables) go to every task instead of a shuffle.
    return (F.broadcast(buckets) if rows <= BROADCAST_ROWS else buckets), total, width


def choose(draws, target_column: str, table) -> object:
    """Join each draw (an integer in [0, total)) to the one row whose interval holds it.
    Every target lies in exactly one interval, so no draw is lost or doubled."""
    from pyspark.sql import functions as F

    buckets, _, width = table
    return (draws.withColumn("_bucket", F.expr(f"{target_column} div {width}"))
            .join(buckets, "_bucket")
            .where((F.col("_lo") <= F.col(target_column)) & (F.col(target_column) < F.col("_hi")))
            .drop("_bucket", "_lo", "_hi"))


def conform(frame, table: str):
    """The table's columns in contract order, cast to the contract's Spark types."""
    from pyspark.sql import functions as F

    return frame.select(*[F.col(name).cast(spark_type).alias(name) for name, spark_type, _, _ in CONTRACTS[table][1]])

# COMMAND ----------

# One function per table. Each returns a DataFrame in the contract's column order.


def data_generator(spark, table: str, rows: int, seed: int, partitions: int | None):
    """A dbldatagen spec of ``rows`` rows. Generator-level hash_fieldname keeps any column left
    without a seed independent; every random column below also gets its own seed, because
    hash_fieldname alone ignores --seed.

    Specs hold the random draws; pools are looked up afterwards with plain Spark SQL (see
    lookups): dbldatagen scans every ``expr`` with pyparsing, seconds per pool-sized literal."""
    import dbldatagen as dg

    return dg.DataGenerator(spark, name=table, rows=rows, partitions=partitions_for(rows, partitions),
                            randomSeed=seed, randomSeedMethod="hash_fieldname")


def with_index(spec, name: str, size: int, seed: int, seed_name: str):
    """A uniform index 0..size-1 (dbldatagen's own random values= give the first and last value
    half weight, so the draw is made here)."""
    return spec.withColumn(name, "int", expr=f"cast(floor({seeded_rand(seed, seed_name)} * {size}) AS INT)")


def lookups(frame, columns: dict[str, str]):
    """Add SQL expression columns (pool lookups and what derives from them) to a built frame."""
    from pyspark.sql import functions as F

    return frame.withColumns({name: F.expr(sql) for name, sql in columns.items()})


def with_place_draws(spec, table: str, seed: int):
    """The draws of a population-weighted place (alias method: a slot and a coin) and a ZIP."""
    return (spec.withColumn("_place_slot", "int", expr=f"cast(floor({seeded_rand(seed, f'{table}.place')} * {len(US_PLACE_ALIAS[0])}) AS INT)")
            .withColumn("_place_coin", "double", expr=seeded_rand(seed, f"{table}.place.coin"))
            .withColumn("_postal_u", "double", expr=seeded_rand(seed, f"{table}.postal_code")))


def with_places(frame):
    """city, state, region and postal_code, all read at one place index, so they agree."""
    places = us_place_columns()
    probability, alias = US_PLACE_ALIAS
    frame = lookups(frame, {"_place": f"if(_place_coin < {sql_pick(probability, '_place_slot')}, _place_slot, "
                                      f"{sql_pick(alias, '_place_slot')})"})
    zip_code = (f"{sql_pick(places['zip_low'], '_place')} + "
                f"cast(floor(_postal_u * {sql_pick(places['zip_span'], '_place')}) AS INT)")
    return lookups(frame, {"city": sql_pick(places["city"], "_place"), "state": sql_pick(places["state"], "_place"),
                           "region": sql_pick(places["region"], "_place"),
                           "postal_code": f"format_string('%05d', {zip_code})"})


def uniform_date(seed: int, name: str, first: date, last: date) -> str:
    days = day_number(last) - day_number(first) + 1
    return f"date_add(DATE'{first.isoformat()}', cast(floor({seeded_rand(seed, name)} * {days}) AS INT))"


def build_stores(spark, rows: int, seed: int, partitions: int | None = None):
    spec = (data_generator(spark, "stores", rows, seed, partitions)
            .withColumn("store_id", "bigint", expr=f"id + {FIRST_ID['stores']}", baseColumn="id")
            .withColumn("format", "string", values=list(STORE_FORMATS), weights=list(STORE_FORMATS.values()),
                        random=True, randomSeed=column_seed(seed, "stores.format"))
            .withColumn("opened_date", "date", expr=uniform_date(seed, "stores.opened_date", OPENED_FIRST, OPENED_LAST)))
    stores = with_places(with_place_draws(spec, "stores", seed).build())
    return conform(lookups(stores, {"name": "concat(city, ' #', format_string('%04d', store_id))"}), "stores")


def build_customers(spark, rows: int, seed: int, partitions: int | None = None, tier: int = 2,
                    pools: dict | None = None, locale: str = "en"):
    pools = pools or build_pools(locale, seed)
    lifetime_value = gamma_integer_shape(
        [f"(1 - {seeded_rand(seed, f'customers.lifetime_value.{k}')})" for k in range(LIFETIME_VALUE_SHAPE)],
        LIFETIME_VALUE_SCALE)
    spec = data_generator(spark, "customers", rows, seed, partitions).withColumn(
        "customer_id", "bigint", expr=f"id + {FIRST_ID['customers']}", baseColumn="id")
    for index, size, seed_name in (("_first", len(pools["first_names"]), "customers.first_name"),
                                   ("_last", len(pools["last_names"]), "customers.last_name"),
                                   ("_domain", len(EMAIL_DOMAINS), "customers.email"),
                                   ("_street", len(pools["street_before"]), "customers.street_address")):
        spec = with_index(spec, index, size, seed, seed_name)
    spec = (spec
            # House numbers ~ 1 + Geometric(p): most are small, a few run to five digits.
            .withColumn("_house", "int", expr=(f"least(2 + floor(ln(1 - {seeded_rand(seed, 'customers.house_number')}) / "
                                               f"ln({1 - HOUSE_NUMBER_P!r})), {MAX_HOUSE_NUMBER})"))
            # N11 codes (211, 411, 911 ...) are service numbers, never area codes: move them up by one.
            .withColumn("_area_draw", "int", expr=f"200 + cast(floor({seeded_rand(seed, 'customers.phone.area')} * 800) AS INT)")
            .withColumn("phone", "string", baseColumn="_area_draw", percentNulls=PHONE_NULL_RATE,
                        randomSeed=column_seed(seed, "customers.phone"),
                        expr=(f"format_string('(%d) 555-01%02d', _area_draw + if(_area_draw % 100 = 11, 1, 0), "
                              f"cast(floor({seeded_rand(seed, 'customers.phone.line')} * 100) AS INT))"))
            # The tier's own noise; the tier itself follows the value (see TIER_VALUE_RHO).
            .withColumn("_tier_noise", "double",
                        expr=standard_normal(f"(1 - {seeded_rand(seed, 'customers.loyalty_tier.1')})",
                                             seeded_rand(seed, "customers.loyalty_tier.2")))
            # A pure function of the id: transactions recompute it to stay after the signup.
            .withColumn("signup_date", "date", baseColumn="customer_id",
                        expr=f"date_add(DATE'{SIGNUP_FIRST.isoformat()}', {signup_offset(seed, 'customer_id')})")
            .withColumn("lifetime_value", "decimal(12,2)", expr=f"round({lifetime_value}, 2)"))
    if tier >= 3:
        # Tier 3: a full Mimesis address per customer (a UDF), reseeded from (seed, customer_id) so
        # it does not depend on batches or partitions.
        spec = spec.withColumn("street_address", "string", baseColumn="customer_id", baseColumnType="values",
                               text=mimesis_text("address.address", seed=seed, locale=locale))
    customers = lookups(with_places(with_place_draws(spec, "customers", seed).build()), {
        "first_name": sql_pick(pools["first_names"], "_first"),
        "last_name": sql_pick(pools["last_names"], "_last"),
        # The customer id makes each address unique without a de-duplication pass.
        "email": (f"concat({sql_pick(pools['first_email'], '_first')}, '.', {sql_pick(pools['last_email'], '_last')}, "
                  f"customer_id, '@', {sql_pick(EMAIL_DOMAINS, '_domain')})"),
    })
    for stage in gamma_normal_score_stages("lifetime_value", LIFETIME_VALUE_SHAPE, LIFETIME_VALUE_SCALE):
        customers = lookups(customers, stage)
    latent = f"({TIER_VALUE_RHO!r}D * _value_z + {math.sqrt(1 - TIER_VALUE_RHO**2)!r}D * _tier_noise)"
    names = list(LOYALTY_TIERS)
    branches = " ".join(f"WHEN {latent} < {cut!r}D THEN {sql_string(name)}" for cut, name in zip(TIER_CUT_POINTS, names))
    derived = {"name": "concat_ws(' ', first_name, last_name)",
               "loyalty_tier": f"CASE {branches} ELSE {sql_string(names[-1])} END"}
    if tier < 3:
        # The locale's own address format with a fresh house number per customer.
        derived["street_address"] = (f"concat({sql_pick(pools['street_before'], '_street')}, "
                                     f"if({sql_pick(pools['street_numbered'], '_street')}, cast(_house AS STRING), ''), "
                                     f"{sql_pick(pools['street_after'], '_street')})")
    return conform(lookups(customers, derived), "customers")


def build_products(spark, rows: int, seed: int, partitions: int | None = None, pools: dict | None = None,
                   locale: str = "en"):
    pools = pools or build_pools(locale, seed)
    catalog = catalog_columns()
    cost_share = f"({COST_SHARE_LOW!r}D + {COST_SHARE_HIGH - COST_SHARE_LOW!r}D * {seeded_rand(seed, 'products.cost')})"
    spec = (data_generator(spark, "products", rows, seed, partitions)
            .withColumn("product_id", "bigint", expr=f"id + {FIRST_ID['products']}", baseColumn="id")
            # Category and price are functions of the id: line items recompute the same price.
            .withColumn("_category", "int", expr=product_category(seed, "product_id"), baseColumn="product_id")
            .withColumn("category", "string", values=catalog["category"], baseColumn="_category", baseColumnType="values")
            # A noun drawn uniformly among its category's nouns; the subcategory comes with it.
            .withColumn("_noun_index", "int", baseColumn="_category",
                        expr=(f"{sql_pick(catalog['noun_offset'], '_category')} + cast(floor({seeded_rand(seed, 'products.noun')} "
                              f"* {sql_pick(catalog['noun_count'], '_category')}) AS INT)"))
            .withColumn("_price_cents", "bigint", expr=price_cents(seed, "product_id", "_category"),
                        baseColumn=["product_id", "_category"])
            .withColumn("price", "decimal(10,2)", expr="_price_cents / 100", baseColumn="_price_cents")
            .withColumn("cost", "decimal(10,2)", baseColumn="_price_cents",
                        expr=f"greatest(round(_price_cents * {cost_share}), 1) / 100")
            .withColumn("launch_date", "date", expr=uniform_date(seed, "products.launch_date", LAUNCH_FIRST, LAUNCH_LAST)))
    spec = with_index(spec, "_brand", len(pools["brands"]), seed, "products.brand")
    spec = with_index(spec, "_descriptor", len(PRODUCT_DESCRIPTORS), seed, "products.descriptor")
    products = lookups(spec.build(), {
        "subcategory": sql_pick(catalog["subcategory"], "_noun_index"),
        "brand": sql_pick(pools["brands"], "_brand"),
        "name": (f"concat_ws(' ', {sql_pick(pools['brands'], '_brand')}, {sql_pick(PRODUCT_DESCRIPTORS, '_descriptor')}, "
                 f"{sql_pick(catalog['noun'], '_noun_index')})"),
        "sku": (f"concat({sql_pick(catalog['category_code'], '_category')}, '-', "
                f"{sql_pick(catalog['subcategory_code'], '_noun_index')}, '-', format_string('%06d', product_id))"),
    })
    return conform(products, "products")


def build_inventory(spark, products: int, stores: int, seed: int, partitions: int | None = None):
    """Every store lists every product: row i is product i // stores, store i % stores."""
    stock = gamma_integer_shape([f"(1 - {seeded_rand(seed, f'inventory.quantity.{k}')})" for k in range(STOCK_SHAPE)],
                                STOCK_SCALE)
    first_second = day_number(SNAPSHOT_FIRST) * 86_400
    span = (day_number(WINDOW_LAST) + 1 - day_number(SNAPSHOT_FIRST)) * 86_400
    spec = (data_generator(spark, "inventory", products * stores, seed, partitions)
            .withColumn("product_id", "bigint", expr=f"id div {stores} + {FIRST_ID['products']}", baseColumn="id")
            .withColumn("store_id", "bigint", expr=f"id % {stores} + {FIRST_ID['stores']}", baseColumn="id")
            .withColumn("quantity", "int",
                        expr=f"if({seeded_rand(seed, 'inventory.stockout')} < {STOCKOUT_SHARE!r}, 0, 1 + round({stock}))")
            .withColumn("reorder_point", "int",
                        expr=(f"{REORDER_POINT_LOW} + cast(floor({seeded_rand(seed, 'inventory.reorder_point')} * "
                              f"{REORDER_POINT_HIGH - REORDER_POINT_LOW + 1}) AS INT)"))
            .withColumn("last_updated", "timestamp",
                        expr=f"timestamp_seconds({first_second} + cast(floor({seeded_rand(seed, 'inventory.last_updated')} * {span}) AS BIGINT))"))
    return conform(spec.build(), "inventory")


def customer_weights(spark, customers: int, seed: int, customer_skew: float = ACTIVITY_SIGMA):
    """Purchase weights of all customers: lognormal(0, customer_skew) propensity times the share of
    2024 after signup, from the same id hashes build_customers uses (integer units, at least 1)."""
    from pyspark.sql import functions as F

    window_first, window_last = day_number(WINDOW_FIRST), day_number(WINDOW_LAST)
    propensity = f"exp({float(customer_skew)!r}D * " + standard_normal(
        hashed_uniform(seed, "customers.activity.1", "customer_id"),
        hashed_uniform(seed, "customers.activity.2", "customer_id")) + ")"
    weights = (spark.range(customers)
               .withColumn("customer_id", F.col("id") + FIRST_ID["customers"])
               .withColumn("_first_day", F.expr(f"greatest({day_number(SIGNUP_FIRST)} + {signup_offset(seed, 'customer_id')}, {window_first})"))
               .withColumn("_weight", F.expr(
                   f"greatest(cast(round({propensity} * ({window_last} + 1 - _first_day) / {window_last + 1 - window_first} "
                   f"* {WEIGHT_UNITS}) AS BIGINT), 1)")))
    return weights


def customer_choice(spark, customers: int, seed: int, customer_skew: float = ACTIVITY_SIGMA):
    """The customers' purchase weights as a choice table."""
    return choice_table(customer_weights(spark, customers, seed, customer_skew), customers, "id", "_weight",
                        ["customer_id", "_first_day"])


def product_choice(spark, products: int, seed: int):
    """Popularity weights of all products (lognormal(0, sigma)) with each product's price."""
    from pyspark.sql import functions as F

    popularity = f"exp({POPULARITY_SIGMA!r}D * " + standard_normal(
        hashed_uniform(seed, "products.popularity.1", "product_id"),
        hashed_uniform(seed, "products.popularity.2", "product_id")) + ")"
    weights = (spark.range(products)
               .withColumn("product_id", F.col("id") + FIRST_ID["products"])
               .withColumn("_category", F.expr(product_category(seed, "product_id")))
               .withColumn("_price_cents", F.expr(price_cents(seed, "product_id", "_category")))
               .withColumn("_weight", F.expr(f"greatest(cast(round({popularity} * {WEIGHT_UNITS}) AS BIGINT), 1)")))
    return choice_table(weights, products, "id", "_weight", ["product_id", "_price_cents"])


def transaction_keys(spark, transactions: int, seed: int, lines_per_transaction: float, partitions: int | None):
    """txn_id and line_count: the part of a transaction its line items are built from."""
    spec = (data_generator(spark, "transaction_keys", transactions, seed, partitions)
            .withColumn("txn_id", "bigint", expr=f"id + {FIRST_ID['transactions']}", baseColumn="id")
            .withColumn("line_count", "int", expr=line_count(seed, lines_per_transaction, "txn_id"), baseColumn="txn_id"))
    return spec.build()


def build_line_items(spark, transactions: int, products: int, seed: int, partitions: int | None = None,
                     lines_per_transaction: float = DEFAULT_LINES_PER_TRANSACTION):
    """Basket lines: line_item_id runs from 1 in transaction order (exact prefix sums of the
    line counts); product by popularity; unit_price = the product's price; line_total rounded
    half up to the cent. Everything after the explode comes from hashes of (txn_id, line_number)."""
    from pyspark.sql import functions as F

    keys = transaction_keys(spark, transactions, seed, lines_per_transaction, partitions)
    numbered, _ = running_total(keys.withColumn("_index", F.col("txn_id") - FIRST_ID["transactions"]),
                                "_index", "line_count", "_lines_through")
    line_keys = ("txn_id", "line_number")
    uniform = functools.partial(hashed_uniform, seed)
    beta = [uniform(f"line_items.discount.{k}", *line_keys) for k in range(DISCOUNT_ALPHA + DISCOUNT_BETA)]
    alpha_part = gamma_integer_shape(beta[:DISCOUNT_ALPHA], 1.0)
    beta_part = gamma_integer_shape(beta[DISCOUNT_ALPHA:], 1.0)
    lines = (numbered
             .withColumn("_k", F.explode(F.sequence(F.lit(0), F.col("line_count") - 1)))
             .select("txn_id",
                     (F.col("_lines_through") - F.col("line_count") + F.col("_k") + FIRST_ID["line_items"]).alias("line_item_id"),
                     (F.col("_k") + 1).alias("line_number")))
    table = product_choice(spark, products, seed)
    lines = lines.withColumn("_target", F.expr(hashed_below(seed, "line_items.product_id", table[1], *line_keys)))
    # Beta(a, b) = X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b); drawn only for discounted lines.
    discount_pct = (f"if(_full_price, 0, least(greatest(round(100 * _alpha / (_alpha + {beta_part})), 1), "
                    f"{MAX_DISCOUNT_PCT}))")
    quantity = (f"least(1 + cast(floor(ln({uniform('line_items.quantity', *line_keys)}) / ln({1 - QUANTITY_P!r})) AS INT), "
                f"{MAX_QUANTITY})")
    chosen = (choose(lines, "_target", table)
              .withColumn("quantity", F.expr(quantity))
              .withColumn("_full_price", F.expr(f"{uniform('line_items.discount.zero', *line_keys)} < {DISCOUNT_ZERO_SHARE!r}"))
              .withColumn("_alpha", F.expr(f"if(_full_price, 0D, {alpha_part})"))
              .withColumn("unit_price", F.expr("cast(_price_cents / 100 AS DECIMAL(10,2))"))
              .withColumn("discount", F.expr(f"cast({discount_pct} / 100 AS DECIMAL(4,2))"))
              .withColumn("line_total", F.expr("round(quantity * unit_price * (1 - discount), 2)")))
    return conform(chosen, "line_items")


def build_transactions(spark, customers: int, stores: int, transactions: int, seed: int, line_items,
                       partitions: int | None = None, customer_skew: float = ACTIVITY_SIGMA):
    """Purchases, built from their line items (pass the written line_items table read back, so the
    totals match what is stored): amount, item_count and product_id aggregate the lines."""
    from pyspark.sql import functions as F

    utc_hour_weights = [LOCAL_HOUR_WEIGHTS[(hour + UTC_OFFSET_HOURS) % 24] for hour in range(24)]
    in_store, remote = list(IN_STORE_PAYMENTS), list(REMOTE_PAYMENTS)
    payment = (f"if(channel = 'In-Store', element_at({sql_array(in_store)}, {weighted_index('_payment_u', list(IN_STORE_PAYMENTS.values()))} + 1), "
               f"element_at({sql_array(remote)}, {weighted_index('_payment_u', list(REMOTE_PAYMENTS.values()))} + 1))")
    spec = (data_generator(spark, "transactions", transactions, seed, partitions)
            .withColumn("txn_id", "bigint", expr=f"id + {FIRST_ID['transactions']}", baseColumn="id")
            .withColumn("channel", "string", values=list(CHANNELS), weights=list(CHANNELS.values()),
                        random=True, randomSeed=column_seed(seed, "transactions.channel"))
            # One draw read against the channel's own mix: no cash online.
            .withColumn("_payment_u", "double", expr=seeded_rand(seed, "transactions.payment_method"))
            .withColumn("payment_method", "string", expr=payment, baseColumn=["channel", "_payment_u"])
            # Online orders carry the store that fulfilled them.
            .withColumn("store_id", "bigint",
                        expr=f"{FIRST_ID['stores']} + cast(floor({seeded_rand(seed, 'transactions.store_id')} * {stores}) AS BIGINT)")
            .withColumn("_hour_u", "double", expr=seeded_rand(seed, "transactions.hour"))
            .withColumn("_second_of_day", "int", baseColumn="_hour_u",
                        expr=f"{weighted_index('_hour_u', utc_hour_weights)} * 3600 + cast(floor({seeded_rand(seed, 'transactions.second')} * 3600) AS INT)"))
    base = spec.build().drop("_payment_u", "_hour_u")
    table = customer_choice(spark, customers, seed, customer_skew)
    base = base.withColumn("_target", F.expr(hashed_below(seed, "transactions.customer_id", table[1], "txn_id")))
    # A uniform day from max(signup, window start) to the window's last day: never before signup.
    day = (f"_first_day + cast(floor({hashed_uniform(seed, 'transactions.timestamp', 'txn_id')} * "
           f"({day_number(WINDOW_LAST)} + 1 - _first_day)) AS BIGINT)")
    baskets = (line_items.groupBy("txn_id")
               .agg(F.count(F.lit(1)).alias("line_count"),
                    F.sum("quantity").alias("item_count"),
                    F.sum("line_total").alias("amount"),
                    F.expr("min_by(product_id, line_number)").alias("product_id")))
    purchases = (choose(base, "_target", table)
                 .withColumn("timestamp", F.expr(f"timestamp_seconds(({day}) * 86400 + _second_of_day)"))
                 .join(baskets, "txn_id"))
    return conform(purchases, "transactions")

# COMMAND ----------

# Output: a folder of part files per table (plus _manifest.json), or Unity Catalog tables marked
# as synthetic. Both check every table before writing any, so a refused run writes nothing.
FORMATS = ("parquet", "csv", "json", "delta")
def progress(message: str) -> None:
    """Progress goes to stderr so stdout carries only the JSON summary."""
    print(message, file=sys.stderr, flush=True)


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


class FolderOutput:
    """``DIR/<table>/`` part files and ``DIR/_manifest.json``, readable by scripts/utils/validate.py.

    The folder must be reachable from this process for the checks and the manifest (a local run,
    or a Spark Connect server on this machine); over Databricks Connect write to Unity Catalog or
    to a volume path, which is checked by Spark alone."""

    def __init__(self, spark, parser, directory: str, fmt: str, mode: str):
        self.spark, self.parser, self.fmt, self.mode = spark, parser, fmt, mode
        local = "://" not in directory and not directory.startswith(("/Volumes/", "dbfs:"))
        self.directory = Path(directory).resolve() if local else Path(directory)
        self.local = local
        self.options = {"header": "true"} if fmt == "csv" else {}

    def target(self, table: str) -> str:
        return str(self.directory / table)

    def check(self, tables) -> None:
        if not self.local:
            return
        if self.directory.exists() and not self.directory.is_dir():
            self.parser.error(f"--output {self.directory} is a file, not a folder")
        existing = [table for table in tables if (self.directory / table).exists()]
        if not existing:
            return
        if self.mode == "error":
            self.parser.error(f"--output {self.directory} already holds {', '.join(existing)}: "
                              "pass --mode overwrite to replace them, or choose another folder")
        manifest = self.directory / "_manifest.json"
        try:
            generated = str(json.loads(manifest.read_text()).get("generator", "")).startswith("scripts/generators/")
        except (OSError, ValueError, AttributeError):
            generated = False
        if not generated:
            self.parser.error(f"--output {self.directory} holds {', '.join(existing)} but no _manifest.json from "
                              "databricks-data-gen: refusing to overwrite folders this tool did not write")

    def prepare(self) -> None:
        if self.local:
            self.directory.mkdir(parents=True, exist_ok=True)
            # The manifest describes a finished run: an old one goes before any table changes.
            (self.directory / "_manifest.json").unlink(missing_ok=True)

    def write(self, table: str, frame) -> dict:
        writer = frame.write.format(self.fmt).options(**self.options)
        writer.mode("overwrite" if self.mode == "overwrite" else "error").save(self.target(table))
        result = {"rows": self.read(table).count(), "path": table, "target": self.target(table)}
        if self.local:
            result["bytes"] = folder_bytes(self.directory / table)
        return result

    def read(self, table: str):
        return self.spark.read.format(self.fmt).options(**self.options).load(self.target(table))

    def finish(self, manifest: dict) -> None:
        if not self.local or not self.directory.is_dir():
            progress(f"note: {self.directory} is not visible from here, so no _manifest.json was written")
            return
        final = self.directory / "_manifest.json"
        temporary = final.with_name(f".{final.name}.tmp-{os.getpid()}")
        temporary.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
        os.replace(temporary, final)


class CatalogOutput:
    """Tables ``catalog.schema.<table>`` written by ``write_table`` (scripts/utils/output.py): the
    contract's comments and the synthetic marker. Every table is checked before any is written,
    so a refused run changes nothing; --mode overwrite replaces only tables this tool created."""

    def __init__(self, spark, parser, catalog: str, schema: str, fmt: str, mode: str, seed: int):
        try:
            check_identifier(catalog, "catalog")
            check_identifier(schema, "schema")
        except ValueError as error:
            parser.error(str(error))
        self.spark, self.parser, self.catalog, self.schema = spark, parser, catalog, schema
        self.fmt, self.mode, self.seed = fmt, mode, seed

    def target(self, table: str) -> str:
        return f"{self.catalog}.{self.schema}.{table}"

    def existing_tables(self) -> set[str]:
        from pyspark.errors import AnalysisException

        try:
            rows = self.spark.sql(f"SHOW TABLES IN {qualified_name(self.catalog, self.schema)}").collect()
        except AnalysisException as error:
            if "SCHEMA_NOT_FOUND" in str(error) or "NAMESPACE_NOT_FOUND" in str(error):
                return set()
            raise
        return {row["tableName"].lower() for row in rows if not row["isTemporary"]}

    def check(self, tables) -> None:
        if not catalog_exists(self.spark, self.catalog):
            self.parser.error(f"catalog {self.catalog!r} does not exist (or you cannot use it): create it first "
                              f"(uc_setup.py --create-catalog, or CREATE CATALOG) or pass another --catalog")
        existing = self.existing_tables()
        for table in tables:
            if table.lower() not in existing:
                continue
            if not created_by_this_tool(table_properties(self.spark, qualified_name(self.catalog, self.schema, table))):
                self.parser.error(f"table {self.target(table)} exists and was not created by {TOOL} (no synthetic "
                                  "marker): refusing to touch it; choose another --schema, or drop it yourself")
            if self.mode == "error":
                self.parser.error(f"table {self.target(table)} already exists: pass --mode overwrite to replace "
                                  "tables this generator created, or choose another --schema")

    def prepare(self) -> None:
        for statement in provisioning_statements(self.catalog, self.schema):
            self.spark.sql(statement)

    def write(self, table: str, frame) -> dict:
        description, columns = CONTRACTS[table]
        contract = {"description": description,
                    "columns": [{"name": name, "type": spark_type, "description": comment}
                                for name, spark_type, _, comment in columns]}
        try:
            write_table(frame, self.catalog, self.schema, table, mode=self.mode, fmt=self.fmt, contract=contract,
                        seed=self.seed)
        except OutputError as error:
            self.parser.error(str(error))
        return {"rows": self.read(table).count(), "target": self.target(table)}

    def read(self, table: str):
        return self.spark.table(qualified_name(self.catalog, self.schema, table))

    def finish(self, manifest: dict) -> None:
        pass

# COMMAND ----------

# Command line (terminal) and widgets (notebook): the same names and defaults.


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


def customer_skew_type(text: str) -> float:
    """argparse type: sigma of the customers' lognormal purchase propensity, 0 to MAX_CUSTOMER_SKEW."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and {MAX_CUSTOMER_SKEW:g}, got {text!r}") from None
    if not 0.0 <= value <= MAX_CUSTOMER_SKEW:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_CUSTOMER_SKEW:g}, got {value}")
    return value


def lines_per_transaction_type(text: str) -> float:
    """argparse type: mean basket size, at least 1 line."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {text!r}") from None
    if not 1.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError(f"must be between 1 and 100, got {value}")
    return value


def in_databricks() -> bool:
    return bool(os.environ.get("DATABRICKS_RUNTIME_VERSION"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="retail.py",
        description="Generate linked retail tables (stores, customers, products, inventory, transactions, "
        "line_items) on Spark with dbldatagen, into Unity Catalog (--catalog/--schema) or a folder (--output).",
        epilog="Default sizes follow --rows (customers): products = rows/10 (at least 10); stores = rows/100,000 "
        "between 5 and 50; inventory = products x stores; transactions = 10 x rows; line items = about 3 per "
        "transaction. Same --seed, sizes and --partitions give the same data. "
        "Local example: retail.py --local --output out/retail --rows 100000",
    )
    parser.add_argument("--rows", type=positive_int, default=DEFAULT_ROWS,
                        help=f"customers, the main table; other tables follow it (default {DEFAULT_ROWS:,})")
    parser.add_argument("--products", type=positive_int, help="products (default rows/10, at least 10)")
    parser.add_argument("--stores", type=positive_int, help="stores (default rows/100,000 between 5 and 50)")
    parser.add_argument("--transactions", type=positive_int, help="transactions (default 10 x rows)")
    parser.add_argument("--lines-per-transaction", type=lines_per_transaction_type, default=DEFAULT_LINES_PER_TRANSACTION,
                        help="mean line items per transaction, 1 + Poisson(mean - 1) (default 3)")
    parser.add_argument("--customer-skew", type=customer_skew_type, default=ACTIVITY_SIGMA, metavar="SIGMA",
                        help=f"how unevenly purchases spread over customers: sigma of a lognormal propensity per "
                        f"customer; 0 = every customer equally likely, {ACTIVITY_SIGMA:g} (default) = the busiest 10%% "
                        f"make about half the purchases, 2 = about 3/4 (0 to {MAX_CUSTOMER_SKEW:g})")
    parser.add_argument("--seed", type=non_negative_int, default=42, help="random seed (default 42)")
    parser.add_argument("--catalog", help="Unity Catalog catalog to write to (must exist; with --schema)")
    parser.add_argument("--schema", help="schema in --catalog (created if missing)")
    parser.add_argument("--output", help="folder for DIR/<table>/ part files and DIR/_manifest.json instead of tables")
    parser.add_argument("--format", choices=FORMATS, help="table format (default delta for --catalog, parquet for --output)")
    parser.add_argument("--mode", choices=("error", "overwrite"), default="error",
                        help="existing tables: error (default) refuses; overwrite replaces only tables this tool created")
    parser.add_argument("--tier", type=int, choices=(2, 3),
                        help="2 = Connect-safe SQL only (default outside Databricks); 3 = adds Mimesis UDF text "
                        "(default in a notebook; needs mimesis where Spark runs Python)")
    parser.add_argument("--partitions", type=positive_int,
                        help=f"dbldatagen partitions per table (default rows/{ROWS_PER_PARTITION:,}, at least 1)")
    parser.add_argument("--locale", default="en", help="Mimesis locale for names and street addresses (default en)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="run on a local pyspark session")
    where.add_argument("--remote", metavar="URL", help="Spark Connect URL, e.g. sc://localhost:15002")
    parser.add_argument("--profile", help="Databricks config profile for Databricks Connect (default: serverless)")
    parser.add_argument("--dry-run", action="store_true", help="print the planned rows; start no Spark, write nothing")
    return parser


# Widgets a notebook shows: every option that makes sense there, with the terminal's defaults.
WIDGETS = (("rows", str(DEFAULT_ROWS)), ("seed", "42"), ("catalog", ""), ("schema", ""), ("output", ""),
           ("format", ""), ("mode", "error"), ("tier", "3"), ("partitions", ""), ("products", ""),
           ("stores", ""), ("transactions", ""), ("lines_per_transaction", str(DEFAULT_LINES_PER_TRANSACTION)),
           ("customer_skew", str(ACTIVITY_SIGMA)), ("locale", "en"))


def notebook_arguments() -> list[str] | None:
    """Inside a Databricks notebook, the widgets as command-line arguments; elsewhere None."""
    dbutils = globals().get("dbutils")
    if not in_databricks() or dbutils is None:
        return None
    arguments = []
    for name, default in WIDGETS:
        dbutils.widgets.text(name, default, name)
        value = dbutils.widgets.get(name).strip()
        if value:
            arguments += [f"--{name.replace('_', '-')}", value]
    return arguments


def parse_arguments(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line, or use the defaults when pasted into a notebook.

    A notebook kernel's own argv (``-f kernel.json``) is not ours to parse: in a Jupyter or
    Databricks notebook, call ``main(["--rows", "5000"])`` to pass options.
    """
    if argv is None and "ipykernel" in sys.modules:
        argv = []
    return parser.parse_args(argv)


def plan_sizes(args) -> dict[str, int]:
    """Rows per table; line_items is the expected count (the exact one depends on the seed)."""
    rows = args.rows
    stores = args.stores or min(max(rows // CUSTOMERS_PER_STORE, MIN_STORES), MAX_STORES)
    products = args.products or max(MIN_PRODUCTS, round(rows * PRODUCTS_PER_CUSTOMER))
    transactions = args.transactions or rows * TRANSACTIONS_PER_CUSTOMER
    return {"stores": stores, "customers": rows, "products": products, "inventory": products * stores,
            "transactions": transactions, "line_items": round(transactions * args.lines_per_transaction)}


def checked_arguments(parser, argv):
    args = parse_arguments(parser, argv)
    if bool(args.catalog) != bool(args.schema):
        parser.error("--catalog and --schema go together: pass both to write Unity Catalog tables")
    if args.catalog and args.output:
        parser.error("choose one destination: --catalog/--schema (tables) or --output (a folder)")
    if args.catalog:
        try:
            check_identifier(args.catalog, "catalog")
            check_identifier(args.schema, "schema")
        except ValueError as error:  # refused before any session: a hostile name never reaches SQL
            parser.error(str(error))
    if not args.catalog and not args.output and not args.dry_run:
        parser.error("say where to write: --catalog CATALOG --schema SCHEMA (Unity Catalog) or --output DIR")
    if args.profile and (args.local or args.remote):
        parser.error("--profile applies to Databricks Connect only, not with --local or --remote")
    if args.products is not None and args.stores is not None and args.products * args.stores > 2**31 - 1:
        parser.error("inventory (products x stores) is over 2^31 rows: lower --products or --stores")
    try:
        from mimesis import Locale

        Locale(args.locale)
    except ImportError:
        parser.error("the value pools need mimesis: add --with mimesis==22.2.0 (or %pip install mimesis==22.2.0)")
    except ValueError:
        parser.error(f"--locale {args.locale!r} is not a Mimesis locale (e.g. en, de, fr, ja)")
    args.format = args.format or ("delta" if args.catalog else "parquet")
    args.tier = args.tier or (3 if in_databricks() else 2)
    return args


def spark_library_versions(spark) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": sys.version.split()[0], "spark": spark.version}
    for package in ("pyspark", "databricks-connect", "dbldatagen", "mimesis"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            pass
    return versions

# COMMAND ----------


def run(spark, args, parser) -> dict:
    """Generate and write every table with ``spark`` as ``args`` say; return the summary."""
    started = time.perf_counter()
    sizes = plan_sizes(args)
    if args.catalog:
        destination = CatalogOutput(spark, parser, args.catalog, args.schema, args.format, args.mode, args.seed)
    else:
        destination = FolderOutput(spark, parser, args.output, args.format, args.mode)
    destination.check(WRITE_ORDER)
    destination.prepare()
    progress(f"retail (tier {args.tier}): about {sum(sizes.values()):,} rows in {len(sizes)} tables -> "
             f"{destination.target('*')} ({args.format})")
    pools = build_pools(args.locale, args.seed)
    seed, partitions = args.seed, args.partitions
    builders = {
        "stores": lambda: build_stores(spark, sizes["stores"], seed, partitions),
        "customers": lambda: build_customers(spark, sizes["customers"], seed, partitions, args.tier, pools, args.locale),
        "products": lambda: build_products(spark, sizes["products"], seed, partitions, pools, args.locale),
        "inventory": lambda: build_inventory(spark, sizes["products"], sizes["stores"], seed, partitions),
        "line_items": lambda: build_line_items(spark, sizes["transactions"], sizes["products"], seed, partitions,
                                               args.lines_per_transaction),
        # Built from the line items as written, so each amount is the sum of the stored lines.
        "transactions": lambda: build_transactions(spark, sizes["customers"], sizes["stores"], sizes["transactions"],
                                                   seed, destination.read("line_items"), partitions,
                                                   args.customer_skew),
    }
    tables = {}
    for table in WRITE_ORDER:
        table_started = time.perf_counter()
        try:
            tables[table] = destination.write(table, builders[table]())
        except Exception as error:
            if "DATA_SOURCE_NOT_FOUND" not in str(error):
                raise
            parser.error(f"this Spark has no {args.format!r} data source (Delta through local Spark needs the "
                         "delta-spark jars; Databricks has it built in): pass --format parquet")
        tables[table]["seconds"] = round(time.perf_counter() - table_started, 3)
        progress(f"  {table}: {tables[table]['rows']:,} rows in {tables[table]['seconds']:.2f}s")
    seconds = round(time.perf_counter() - started, 3)
    destination.finish({
        "generator": GENERATOR, "industry": INDUSTRY, "seed": args.seed, "format": args.format, "tier": args.tier,
        "arguments": dict(vars(args)), "versions": spark_library_versions(spark),
        "tables": {table: {key: value for key, value in result.items() if key != "target"}
                   for table, result in tables.items()},
        "seconds": seconds,
    })
    return {"industry": INDUSTRY, "seed": args.seed, "format": args.format, "tier": args.tier,
            "destination": destination.target("*"), "tables": tables, "seconds": seconds}


def main(argv: list[str] | None = None) -> dict:
    parser = build_parser()
    args = checked_arguments(parser, notebook_arguments() if argv is None else argv)
    if args.dry_run:
        sizes = plan_sizes(args)
        report = {"dry_run": True, "seed": args.seed, "format": args.format, "tier": args.tier,
                  "tables": {table: {"rows": rows, **({"estimated": True} if table == "line_items" else {})}
                             for table, rows in sizes.items()}}
        progress(f"retail dry run: about {sum(sizes.values()):,} rows in {len(sizes)} tables; nothing written")
        print(json.dumps(report, indent=2))
        return report
    if args.output:  # a local folder is checked before Spark starts: a refusal costs no session
        FolderOutput(None, parser, args.output, args.format, args.mode).check(WRITE_ORDER)
    spark = get_spark(local=args.local, remote=args.remote, profile=args.profile)
    summary = run(spark, args, parser)
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
