"""A real application's schema, ported for the template's tests only.

Ported from Mealie, the self-hosted recipe manager
(https://github.com/mealie-recipes/mealie, licensed under the GNU AGPL v3.0), at commit
b5643a9399465d8b4ea339e7a6639df2d697741b (2024-10-24). Mealie runs on SQLite and
PostgreSQL from the same SQLAlchemy 2 models. The tables, columns, types, constraints
and indexes come from mealie/db/models/: _model_base.py, _model_utils/guid.py,
_model_utils/datetime.py, group/group.py, group/preferences.py, household/household.py,
household/preferences.py, household/invite_tokens.py, household/cookbook.py,
household/mealplan.py, household/shopping_list.py, household/webhooks.py, labels.py,
users/users.py, users/password_reset.py, users/user_to_recipe.py, recipe/recipe.py,
recipe/category.py, recipe/tag.py, recipe/tool.py, recipe/ingredient.py,
recipe/instruction.py, recipe/comment.py and recipe/recipe_timeline.py. The unique
constraints that Mealie's models build only in __init__ (so only its migrations create
them) are declared here, as its database has them. This is a rewrite of that schema for
test data, not Mealie's code.

Kept as Mealie has them: its two TypeDecorators (GUID: UUID on PostgreSQL, CHAR(32) hex
elsewhere; NaiveDateTime: UTC stored naive), GUID and integer primary keys, the
users <-> recipes foreign key cycle (use_alter), composite primary keys, association
tables without a primary key, unique constraints with Mealie's explicit names next to
conventional ones, unique indexes (index=True, unique=True), the AuthMethod enum (stored
by member name, type "authmethod"), unbounded String next to String(n), Float, Date and
Time columns, a camelCase column (recipeCuisine) and a column kept only because dropping
it on SQLite is a chore (webhook_urls.time).

Changed in porting, because the models here have no ORM behind them: Mealie sets its
defaults in Python and deletes children through relationship cascades and its own
services. Here the defaults are server defaults (sa.true(), sa.false(), literal strings
and numbers, sa.func.current_date() for recipes.date_added); a child its parent owns
(cascade="all, delete-orphan", an association row, or a NOT NULL reference to its group)
gets ondelete="CASCADE", and a nullable reference to something it does not belong to
gets ondelete="SET NULL". Every model's created_at/update_at (from Mealie's base class,
where they are naive and set in Python) are DateTime(timezone=True) with
server_default=sa.func.now(), since a server default is only UTC-correct on PostgreSQL
in a timestamptz column. The classes drop Mealie's "Model" suffixes and its Tag is
RecipeTag; the table names are Mealie's.

Left out: the relationships, association proxies, hybrid properties, event listeners,
validators, __init__ logic and Pydantic config; the GIN trigram indexes Mealie creates
on PostgreSQL only (they need the pg_trgm extension); and 28 of Mealie's 58 tables:
group reports and report entries, data exports, event notifiers and their options, meal
plan rules, recipe actions, server tasks, recipe share tokens, notes, nutrition,
settings and assets, unit and food aliases, the shopping list recipe references, the
four "extras" key/value tables and the seven association tables of groups, cookbooks and
meal plan rules. Mealie has no JSON, Text, BigInteger or Numeric columns, CHECK
constraints, composite indexes or self-referencing foreign keys at this commit, so none
are here; tests/rich_models.py has those.
"""

import datetime as dt
import enum
import uuid

import sqlalchemy as sa
from myapp.models import Base
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column


class GUID(sa.TypeDecorator):
    """Mealie's platform-independent UUID: PostgreSQL's UUID type, elsewhere CHAR(32)
    holding the lowercase hex digits."""

    impl = sa.CHAR
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID())
        return dialect.type_descriptor(sa.CHAR(32))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, uuid.UUID):
            value = uuid.UUID(str(value))
        if dialect.name == "postgresql":
            return str(value)
        return f"{value.int:032x}"

    def process_result_value(self, value, dialect):
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(value)


class NaiveDateTime(sa.TypeDecorator):
    """Mealie's UTC timestamps: stored without a time zone, read back as UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


class AuthMethod(enum.Enum):
    MEALIE = "Mealie"
    LDAP = "LDAP"
    OIDC = "OIDC"


class MealieTimestamps:
    """The columns every model gets from Mealie's declarative base."""

    created_at: Mapped[dt.datetime | None] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), index=True
    )
    update_at: Mapped[dt.datetime | None] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )


# Groups and households


class Group(MealieTimestamps, Base):
    __tablename__ = "groups"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String, index=True, unique=True)
    slug: Mapped[str | None] = mapped_column(sa.String, index=True, unique=True)


class GroupPreferences(MealieTimestamps, Base):
    __tablename__ = "group_preferences"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    group_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    private_group: Mapped[bool | None] = mapped_column(server_default=sa.true())
    first_day_of_week: Mapped[int | None] = mapped_column(server_default="0")
    recipe_public: Mapped[bool | None] = mapped_column(server_default=sa.true())
    recipe_show_nutrition: Mapped[bool | None] = mapped_column(
        server_default=sa.false()
    )
    recipe_show_assets: Mapped[bool | None] = mapped_column(server_default=sa.false())
    recipe_landscape_view: Mapped[bool | None] = mapped_column(
        server_default=sa.false()
    )
    recipe_disable_comments: Mapped[bool | None] = mapped_column(
        server_default=sa.false()
    )
    recipe_disable_amount: Mapped[bool | None] = mapped_column(server_default=sa.true())


class Household(MealieTimestamps, Base):
    __tablename__ = "households"
    __table_args__ = (
        sa.UniqueConstraint("group_id", "name", name="household_name_group_id_key"),
        sa.UniqueConstraint("group_id", "slug", name="household_slug_group_id_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String, index=True)
    slug: Mapped[str | None] = mapped_column(sa.String, index=True)
    group_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )


class HouseholdPreferences(MealieTimestamps, Base):
    __tablename__ = "household_preferences"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    household_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    private_household: Mapped[bool | None] = mapped_column(server_default=sa.true())
    lock_recipe_edits_from_other_households: Mapped[bool | None] = mapped_column(
        server_default=sa.true()
    )
    first_day_of_week: Mapped[int | None] = mapped_column(server_default="0")
    recipe_public: Mapped[bool | None] = mapped_column(server_default=sa.true())
    recipe_show_nutrition: Mapped[bool | None] = mapped_column(
        server_default=sa.false()
    )
    recipe_show_assets: Mapped[bool | None] = mapped_column(server_default=sa.false())
    recipe_landscape_view: Mapped[bool | None] = mapped_column(
        server_default=sa.false()
    )
    recipe_disable_comments: Mapped[bool | None] = mapped_column(
        server_default=sa.false()
    )
    recipe_disable_amount: Mapped[bool | None] = mapped_column(server_default=sa.true())


class InviteToken(MealieTimestamps, Base):
    __tablename__ = "invite_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String, index=True, unique=True)
    uses_left: Mapped[int] = mapped_column(server_default="1")
    group_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    household_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("households.id", ondelete="CASCADE"), index=True
    )


# Users


class User(MealieTimestamps, Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    full_name: Mapped[str | None] = mapped_column(sa.String, index=True)
    username: Mapped[str | None] = mapped_column(sa.String, index=True, unique=True)
    email: Mapped[str | None] = mapped_column(sa.String, index=True, unique=True)
    password: Mapped[str | None] = mapped_column(sa.String)
    auth_method: Mapped[AuthMethod] = mapped_column(
        sa.Enum(AuthMethod, name="authmethod"), server_default=AuthMethod.MEALIE.name
    )
    admin: Mapped[bool | None] = mapped_column(server_default=sa.false())
    advanced: Mapped[bool | None] = mapped_column(server_default=sa.false())
    group_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    household_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("households.id", ondelete="SET NULL"), index=True
    )
    cache_key: Mapped[str | None] = mapped_column(sa.String, server_default="1234")
    login_attemps: Mapped[int | None] = mapped_column(server_default="0")
    locked_at: Mapped[dt.datetime | None] = mapped_column(NaiveDateTime)
    can_manage_household: Mapped[bool | None] = mapped_column(server_default=sa.false())
    can_manage: Mapped[bool | None] = mapped_column(server_default=sa.false())
    can_invite: Mapped[bool | None] = mapped_column(server_default=sa.false())
    can_organize: Mapped[bool | None] = mapped_column(server_default=sa.false())
    # One half of the users <-> recipes cycle; recipes.user_id is the other.
    owned_recipes_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("recipes.id", ondelete="SET NULL")
    )


class LongLiveToken(MealieTimestamps, Base):
    __tablename__ = "long_live_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String)
    token: Mapped[str] = mapped_column(sa.String, index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )


class PasswordResetToken(MealieTimestamps, Base):
    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)


# Organizers


class MultiPurposeLabel(MealieTimestamps, Base):
    __tablename__ = "multi_purpose_labels"
    __table_args__ = (
        sa.UniqueConstraint(
            "name", "group_id", name="multi_purpose_labels_name_group_id_key"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(255))
    color: Mapped[str] = mapped_column(sa.String(10), server_default="")
    group_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )


class Category(MealieTimestamps, Base):
    __tablename__ = "categories"
    __table_args__ = (
        sa.UniqueConstraint("slug", "group_id", name="category_slug_group_id_key"),
    )

    group_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String, index=True)
    slug: Mapped[str] = mapped_column(sa.String, index=True)


class RecipeTag(MealieTimestamps, Base):
    # Mealie's Tag.
    __tablename__ = "tags"
    __table_args__ = (
        sa.UniqueConstraint("slug", "group_id", name="tags_slug_group_id_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    group_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String, index=True)
    slug: Mapped[str] = mapped_column(sa.String, index=True)


class Tool(MealieTimestamps, Base):
    __tablename__ = "tools"
    __table_args__ = (
        sa.UniqueConstraint("slug", "group_id", name="tools_slug_group_id_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    group_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String, index=True)
    slug: Mapped[str] = mapped_column(sa.String, index=True)
    on_hand: Mapped[bool | None] = mapped_column(server_default=sa.false())


# Recipes


class Recipe(MealieTimestamps, Base):
    # Mealie's RecipeModel.
    __tablename__ = "recipes"
    __table_args__ = (
        sa.UniqueConstraint("slug", "group_id", name="recipe_slug_group_id_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    slug: Mapped[str | None] = mapped_column(sa.String, index=True)
    group_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID,
        sa.ForeignKey("users.id", ondelete="SET NULL", use_alter=True),
        index=True,
    )
    rating: Mapped[float | None] = mapped_column(sa.Float, index=True)
    name: Mapped[str] = mapped_column(sa.String)
    description: Mapped[str | None] = mapped_column(sa.String)
    image: Mapped[str | None] = mapped_column(sa.String)
    total_time: Mapped[str | None] = mapped_column(sa.String)
    prep_time: Mapped[str | None] = mapped_column(sa.String)
    perform_time: Mapped[str | None] = mapped_column(sa.String)
    cook_time: Mapped[str | None] = mapped_column(sa.String)
    recipe_yield: Mapped[str | None] = mapped_column(sa.String)
    recipeCuisine: Mapped[str | None] = mapped_column(sa.String)
    org_url: Mapped[str | None] = mapped_column(sa.String)
    is_ocr_recipe: Mapped[bool | None] = mapped_column(server_default=sa.false())
    date_added: Mapped[dt.date | None] = mapped_column(
        sa.Date, server_default=sa.func.current_date()
    )
    date_updated: Mapped[dt.datetime | None] = mapped_column(NaiveDateTime)
    last_made: Mapped[dt.datetime | None] = mapped_column(NaiveDateTime)
    name_normalized: Mapped[str] = mapped_column(sa.String, index=True)
    description_normalized: Mapped[str | None] = mapped_column(sa.String, index=True)


# Mealie's association tables: no primary key, nullable columns, a named unique pair.
recipes_to_categories = sa.Table(
    "recipes_to_categories",
    Base.metadata,
    sa.Column(
        "recipe_id", GUID, sa.ForeignKey("recipes.id", ondelete="CASCADE"), index=True
    ),
    sa.Column(
        "category_id",
        GUID,
        sa.ForeignKey("categories.id", ondelete="CASCADE"),
        index=True,
    ),
    sa.UniqueConstraint("recipe_id", "category_id", name="recipe_id_category_id_key"),
)

recipes_to_tags = sa.Table(
    "recipes_to_tags",
    Base.metadata,
    sa.Column(
        "recipe_id", GUID, sa.ForeignKey("recipes.id", ondelete="CASCADE"), index=True
    ),
    sa.Column("tag_id", GUID, sa.ForeignKey("tags.id", ondelete="CASCADE"), index=True),
    sa.UniqueConstraint("recipe_id", "tag_id", name="recipe_id_tag_id_key"),
)

recipes_to_tools = sa.Table(
    "recipes_to_tools",
    Base.metadata,
    sa.Column(
        "recipe_id", GUID, sa.ForeignKey("recipes.id", ondelete="CASCADE"), index=True
    ),
    sa.Column(
        "tool_id", GUID, sa.ForeignKey("tools.id", ondelete="CASCADE"), index=True
    ),
    sa.UniqueConstraint("recipe_id", "tool_id", name="recipe_id_tool_id_key"),
)


class UserToRecipe(MealieTimestamps, Base):
    # Ratings and favourites; the primary key is all three id columns.
    __tablename__ = "users_to_recipes"
    __table_args__ = (
        sa.UniqueConstraint(
            "user_id", "recipe_id", name="user_id_recipe_id_rating_key"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        GUID,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    recipe_id: Mapped[uuid.UUID] = mapped_column(
        GUID,
        sa.ForeignKey("recipes.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    rating: Mapped[float | None] = mapped_column(sa.Float, index=True)
    is_favorite: Mapped[bool] = mapped_column(index=True)


class IngredientUnit(MealieTimestamps, Base):
    __tablename__ = "ingredient_units"
    __table_args__ = (
        sa.UniqueConstraint(
            "name", "group_id", name="ingredient_units_name_group_id_key"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    group_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(sa.String)
    plural_name: Mapped[str | None] = mapped_column(sa.String)
    description: Mapped[str | None] = mapped_column(sa.String)
    abbreviation: Mapped[str | None] = mapped_column(sa.String)
    plural_abbreviation: Mapped[str | None] = mapped_column(sa.String)
    use_abbreviation: Mapped[bool | None] = mapped_column(server_default=sa.false())
    fraction: Mapped[bool | None] = mapped_column(server_default=sa.true())
    name_normalized: Mapped[str | None] = mapped_column(sa.String, index=True)
    plural_name_normalized: Mapped[str | None] = mapped_column(sa.String, index=True)
    abbreviation_normalized: Mapped[str | None] = mapped_column(sa.String, index=True)
    plural_abbreviation_normalized: Mapped[str | None] = mapped_column(
        sa.String, index=True
    )


class IngredientFood(MealieTimestamps, Base):
    __tablename__ = "ingredient_foods"
    __table_args__ = (
        sa.UniqueConstraint(
            "name", "group_id", name="ingredient_foods_name_group_id_key"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    group_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(sa.String)
    plural_name: Mapped[str | None] = mapped_column(sa.String)
    description: Mapped[str | None] = mapped_column(sa.String)
    # NOT NULL without a default, as Mealie has it.
    on_hand: Mapped[bool]
    label_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("multi_purpose_labels.id", ondelete="SET NULL"), index=True
    )
    name_normalized: Mapped[str | None] = mapped_column(sa.String, index=True)
    plural_name_normalized: Mapped[str | None] = mapped_column(sa.String, index=True)


class RecipeIngredient(MealieTimestamps, Base):
    __tablename__ = "recipes_ingredients"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int | None] = mapped_column(index=True)
    recipe_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("recipes.id", ondelete="CASCADE")
    )
    title: Mapped[str | None] = mapped_column(sa.String)
    note: Mapped[str | None] = mapped_column(sa.String)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("ingredient_units.id", ondelete="SET NULL"), index=True
    )
    food_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("ingredient_foods.id", ondelete="SET NULL"), index=True
    )
    quantity: Mapped[float | None] = mapped_column(sa.Float)
    original_text: Mapped[str | None] = mapped_column(sa.String)
    reference_id: Mapped[uuid.UUID | None] = mapped_column(GUID)
    note_normalized: Mapped[str | None] = mapped_column(sa.String, index=True)
    original_text_normalized: Mapped[str | None] = mapped_column(sa.String, index=True)


class RecipeInstruction(MealieTimestamps, Base):
    __tablename__ = "recipe_instructions"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    recipe_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("recipes.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int | None] = mapped_column(index=True)
    type: Mapped[str | None] = mapped_column(sa.String, server_default="")
    title: Mapped[str | None] = mapped_column(sa.String)
    text: Mapped[str | None] = mapped_column(sa.String, index=True)
    summary: Mapped[str | None] = mapped_column(sa.String)


class RecipeIngredientRefLink(MealieTimestamps, Base):
    __tablename__ = "recipe_ingredient_ref_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    instruction_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("recipe_instructions.id", ondelete="CASCADE"), index=True
    )
    # Points at recipes_ingredients.reference_id, which is not unique: no foreign key.
    reference_id: Mapped[uuid.UUID | None] = mapped_column(GUID, index=True)


class RecipeComment(MealieTimestamps, Base):
    __tablename__ = "recipe_comments"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    text: Mapped[str | None] = mapped_column(sa.String)
    recipe_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("recipes.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )


class RecipeTimelineEvent(MealieTimestamps, Base):
    __tablename__ = "recipe_timeline_events"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    recipe_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("recipes.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    subject: Mapped[str] = mapped_column(sa.String)
    message: Mapped[str | None] = mapped_column(sa.String)
    event_type: Mapped[str | None] = mapped_column(sa.String)
    image: Mapped[str | None] = mapped_column(sa.String)
    timestamp: Mapped[dt.datetime | None] = mapped_column(NaiveDateTime, index=True)


# Household features


class CookBook(MealieTimestamps, Base):
    __tablename__ = "cookbooks"
    __table_args__ = (
        sa.UniqueConstraint("slug", "group_id", name="cookbook_slug_group_id_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    position: Mapped[int] = mapped_column(server_default="1")
    group_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    household_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String)
    slug: Mapped[str] = mapped_column(sa.String, index=True)
    description: Mapped[str | None] = mapped_column(sa.String, server_default="")
    public: Mapped[bool | None] = mapped_column(server_default=sa.false())
    query_filter_string: Mapped[str] = mapped_column(sa.String, server_default="")
    require_all_categories: Mapped[bool | None] = mapped_column(
        server_default=sa.true()
    )
    require_all_tags: Mapped[bool | None] = mapped_column(server_default=sa.true())
    require_all_tools: Mapped[bool | None] = mapped_column(server_default=sa.true())


class GroupMealPlan(MealieTimestamps, Base):
    __tablename__ = "group_meal_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    entry_type: Mapped[str] = mapped_column(sa.String, index=True)
    title: Mapped[str] = mapped_column(sa.String, index=True)
    text: Mapped[str] = mapped_column(sa.String)
    group_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    recipe_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("recipes.id", ondelete="CASCADE"), index=True
    )


class ShoppingList(MealieTimestamps, Base):
    __tablename__ = "shopping_lists"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    group_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(sa.String)


class ShoppingListItem(MealieTimestamps, Base):
    __tablename__ = "shopping_list_items"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    shopping_list_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("shopping_lists.id", ondelete="CASCADE"), index=True
    )
    is_ingredient: Mapped[bool | None] = mapped_column(server_default=sa.true())
    position: Mapped[int] = mapped_column(server_default="0", index=True)
    checked: Mapped[bool | None] = mapped_column(server_default=sa.false())
    quantity: Mapped[float | None] = mapped_column(sa.Float, server_default="1")
    note: Mapped[str | None] = mapped_column(sa.String)
    is_food: Mapped[bool | None] = mapped_column(server_default=sa.false())
    unit_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("ingredient_units.id", ondelete="SET NULL")
    )
    food_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("ingredient_foods.id", ondelete="SET NULL")
    )
    label_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("multi_purpose_labels.id", ondelete="SET NULL")
    )


class ShoppingListMultiPurposeLabel(MealieTimestamps, Base):
    # A list's label order; the primary key is all three id columns.
    __tablename__ = "shopping_lists_multi_purpose_labels"
    __table_args__ = (
        sa.UniqueConstraint(
            "shopping_list_id", "label_id", name="shopping_list_id_label_id_key"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    shopping_list_id: Mapped[uuid.UUID] = mapped_column(
        GUID, sa.ForeignKey("shopping_lists.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[uuid.UUID] = mapped_column(
        GUID,
        sa.ForeignKey("multi_purpose_labels.id", ondelete="CASCADE"),
        primary_key=True,
    )
    position: Mapped[int] = mapped_column(server_default="0")


class GroupWebhook(MealieTimestamps, Base):
    # Mealie's GroupWebhooksModel.
    __tablename__ = "webhook_urls"

    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    group_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    household_id: Mapped[uuid.UUID | None] = mapped_column(
        GUID, sa.ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    enabled: Mapped[bool | None] = mapped_column(server_default=sa.false())
    name: Mapped[str | None] = mapped_column(sa.String)
    url: Mapped[str | None] = mapped_column(sa.String)
    webhook_type: Mapped[str | None] = mapped_column(sa.String, server_default="")
    scheduled_time: Mapped[dt.time | None] = mapped_column(sa.Time)
    # Unused since scheduled_time; Mealie keeps it rather than drop a column on SQLite.
    time: Mapped[str | None] = mapped_column(sa.String, server_default="00:00")
