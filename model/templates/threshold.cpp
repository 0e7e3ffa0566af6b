{# USES_VARIABLES { N } #}
{# Brian2's threshold template (brian2/devices/cpp_standalone/templates/threshold.cpp)
   with the search for events done in blocks: a block's conditions are one
   reduction the compiler turns into vector code, and only a block that holds
   an event is walked again to record its events in order. Spikes are rare
   (at 10 Hz and 0.1 ms steps one neuron in a thousand per step), so almost
   every block is the vector pass alone; Brian2's loop, with a store behind a
   branch per neuron, stays scalar. The events, their order and everything
   else are Brian2's. With refractoriness (not used by this model's groups)
   it is Brian2's loop unchanged. #}
{% extends 'common_group.cpp' %}
{% block maincode %}
    //// MAIN CODE ////////////
    // scalar code
    const int _vectorisation_idx = -1;
    {{scalar_code|autoindent}}

    {% set _eventspace = get_array_name(eventspace_variable) %}

    long _count = 0;
    {% if _uses_refractory %}
    for(size_t _idx=0; _idx<N; _idx++)
    {
        const size_t _vectorisation_idx = _idx;
        {{vector_code|autoindent}}
        if(_cond) {
            {{_eventspace}}[_count++] = _idx;
            {{not_refractory}}[_idx] = false;
            {{lastspike}}[_idx] = {{t}};
        }
    }
    {% else %}
    const size_t _block = 32;
    for(size_t _start=0; _start<N; _start+=_block)
    {
        const size_t _end = (_start + _block < N) ? _start + _block : N;
        int _any = 0;
        for(size_t _idx=_start; _idx<_end; _idx++)
        {
            const size_t _vectorisation_idx = _idx;
            {{vector_code|autoindent}}
            _any |= (int)_cond;
        }
        if(_any)
        {
            for(size_t _idx=_start; _idx<_end; _idx++)
            {
                const size_t _vectorisation_idx = _idx;
                {{vector_code|autoindent}}
                if(_cond)
                    {{_eventspace}}[_count++] = _idx;
            }
        }
    }
    {% endif %}
    {{_eventspace}}[N] = _count;
{% endblock %}

{% block after_code %}
{% set _eventspace = get_array_name(eventspace_variable) %}
{{_eventspace}}[N] = 0;  // Note that this is not an off-by-1-error: the array has N+1 elements
{% endblock %}
