using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Batch.Data.Migrations
{
    /// <inheritdoc />
    public partial class InputBlocks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "job_input_blocks",
                schema: "batch",
                columns: table => new
                {
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    first_seq = table.Column<int>(type: "integer", nullable: false),
                    row_count = table.Column<int>(type: "integer", nullable: false),
                    rows = table.Column<byte[]>(type: "bytea", nullable: false)
                        .Annotation("Npgsql:Compression:", "lz4")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_input_blocks", x => new { x.job_id, x.first_seq });
                    table.ForeignKey(
                        name: "fk_job_input_blocks_jobs_job_id",
                        column: x => x.job_id,
                        principalSchema: "batch",
                        principalTable: "jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "job_input_blocks",
                schema: "batch");
        }
    }
}
