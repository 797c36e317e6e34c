// Batch's pages in the Hangfire dashboard: live regions, charts (the Chart.js Hangfire bundles), buttons, filters, sign-out.
// Loaded after Hangfire's own scripts, on every dashboard page; each part looks for its elements first.
(function ($) {
    'use strict';

    function formatMoments(root) {
        $(root).find('[data-moment]').each(function () {
            var time = moment($(this).data('moment'), 'X');
            $(this).text(time.fromNow()).attr('title', time.format('llll'));
        });
    }

    function points(times, values) {
        return times.map(function (time, i) { return { x: time, y: values[i] }; });
    }

    function datasets(spec) {
        return spec.series.map(function (series) {
            return {
                label: series.label,
                type: series.kind || spec.kind,
                yAxisID: series.axis,
                backgroundColor: series.color,
                borderColor: series.color,
                borderWidth: 1.5,
                fill: false,
                pointRadius: 0,
                lineTension: 0,
                data: points(spec.times, series.values)
            };
        });
    }

    function createChart(canvas, spec) {
        var yAxes = [{
            id: 'left', stacked: spec.stacked, ticks: { beginAtZero: true, maxTicksLimit: 6 },
            scaleLabel: { display: !!spec.yLabel, labelString: spec.yLabel || '' }
        }];
        if (spec.series.some(function (s) { return s.axis === 'right'; })) {
            yAxes.push({
                id: 'right', position: 'right', ticks: { beginAtZero: true, precision: 0, maxTicksLimit: 4 },
                gridLines: { drawOnChartArea: false }, scaleLabel: { display: true, labelString: '429s' }
            });
        }
        return new Chart(canvas, {
            type: spec.kind,
            data: { datasets: datasets(spec) },
            options: {
                animation: false,
                maintainAspectRatio: false,
                legend: { position: 'bottom' },
                tooltips: { mode: 'index', intersect: false },
                scales: {
                    xAxes: [{
                        type: 'time', stacked: spec.stacked, offset: spec.kind === 'bar',
                        time: { unit: spec.unit, tooltipFormat: 'lll' }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 }
                    }],
                    yAxes: yAxes
                },
                plugins: { streaming: false }
            }
        });
    }

    var charts = {};

    function drawCharts(specs) {
        Object.keys(specs || {}).forEach(function (name) {
            var spec = specs[name];
            var chart = charts[name];
            if (chart) {
                var fresh = datasets(spec);
                chart.data.datasets.forEach(function (dataset, i) { dataset.data = fresh[i] ? fresh[i].data : []; });
                chart.update({ duration: 0 });
                return;
            }
            var canvas = document.querySelector('canvas[data-chart="' + CSS.escape(name) + '"]');
            if (canvas) {
                charts[name] = createChart(canvas, spec);
            }
        });
    }

    // Each live region is swapped when the server draws it differently; the page itself is never reloaded.
    var regions = {};

    function applyLive(data) {
        Object.keys(data.regions || {}).forEach(function (name) {
            var html = data.regions[name];
            if (regions[name] === html) {
                return;
            }
            regions[name] = html;
            var element = document.querySelector('[data-region="' + CSS.escape(name) + '"]');
            if (element) {
                element.innerHTML = html;
                formatMoments(element);
            }
        });
        drawCharts(data.charts);
    }

    var live = document.querySelector('[data-batch-live]');
    var refreshNow = function () { };
    if (live) {
        var url = live.getAttribute('data-batch-live');
        var interval = parseInt($('#hangfireConfig').data('pollinterval'), 10) || 2000;
        var timer = null;
        var poll = function () {
            clearTimeout(timer);
            $.getJSON(url)
                .done(applyLive)
                .always(function () { timer = setTimeout(poll, interval); });
        };
        refreshNow = poll;
        timer = setTimeout(poll, interval);
    }

    var initial = document.querySelector('script[data-batch-initial]');
    if (initial) {
        drawCharts(JSON.parse(initial.textContent).charts);
    }

    // Buttons post with Hangfire's anti-forgery header (set for every jQuery request by hangfire.js).
    $(document).on('click', '[data-batch-action]', function (e) {
        e.preventDefault();
        var $button = $(this);
        var confirmText = $button.data('confirm');
        if (confirmText && !window.confirm(confirmText)) {
            return;
        }
        var $error = $('.batch-action-error');
        $error.prop('hidden', true).text('');
        $button.prop('disabled', true);
        $.post($button.data('batch-action'))
            .done(function () { refreshNow(); })
            .fail(function (xhr) {
                var reason = xhr.responseJSON && xhr.responseJSON.error ? xhr.responseJSON.error : 'The server answered ' + xhr.status + '.';
                $error.text(reason).prop('hidden', false);
                $button.prop('disabled', false);
            });
    });

    $(document).on('change', 'select[data-batch-autosubmit]', function () {
        this.form.submit();
    });

    // The Sign out menu item posts (with the anti-forgery header); without this script it opens a page with a button.
    $(document).on('click', 'a[href$="/hangfire/sign-out"]', function (e) {
        e.preventDefault();
        $.post(this.href).always(function () { window.location.href = window.location.pathname.replace(/\/hangfire\/.*$/, '') + '/hangfire/sign-in'; });
    });
})(jQuery);
