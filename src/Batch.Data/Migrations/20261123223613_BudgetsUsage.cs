using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Batch.Data.Migrations
{
    /// <inheritdoc />
    public partial class BudgetsUsage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "rate_budget_usage",
                schema: "batch",
                columns: table => new
                {
                    account_id = table.Column<Guid>(type: "uuid", nullable: false),
                    model_class = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    slot_start = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    requests = table.Column<int>(type: "integer", nullable: false),
                    input_tokens = table.Column<long>(type: "bigint", nullable: false),
                    output_tokens = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rate_budget_usage", x => new { x.account_id, x.model_class, x.slot_start });
                    table.ForeignKey(
                        name: "fk_rate_budget_usage_rate_budgets_account_id_model_class",
                        columns: x => new { x.account_id, x.model_class },
                        principalSchema: "batch",
                        principalTable: "rate_budgets",
                        principalColumns: new[] { "account_id", "model_class" },
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "rate_budget_usage",
                schema: "batch");
        }
    }
}
